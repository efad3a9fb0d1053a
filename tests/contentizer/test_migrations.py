"""Moving StageRun from previews into the job framework keeps every existing row."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("previews", "0006_video_steps_share"), ("contentizer", "0004_project_languages")]


@pytest.mark.django_db(transaction=True)
def test_stage_runs_recorded_before_the_move_are_still_there_after_it():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    owner = old.get_model("auth", "User").objects.create(username="alice")
    job = old.get_model("contentizer", "Job").objects.create(kind="video", owner=owner)
    old.get_model("previews", "StageRun").objects.create(
        job=job, attempt=1, stage="render", input_hash="a" * 64, status="succeeded", outputs={"videoKey": "v.mp4"})

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    from contentizer.jobs.models import StageRun

    run = StageRun.objects.get()
    assert (run.job_id, run.stage, run.outputs) == (job.id, "render", {"videoKey": "v.mp4"})
    assert run.job.stage_runs.count() == 1
