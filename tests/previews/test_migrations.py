"""Data migrations of previews keep and complete what existing rows hold."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE_TITLES = [("previews", "0009_video_title")]


@pytest.mark.django_db(transaction=True)
def test_videos_made_before_titles_were_kept_take_their_chapters_title():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE_TITLES)
    others = [node for node in executor.loader.graph.leaf_nodes() if node[0] != "previews"]
    old = executor.loader.project_state(BEFORE_TITLES + others).apps
    owner = old.get_model("auth", "User").objects.create(username="alice")
    project = old.get_model("contentizer", "Project").objects.create(owner=owner, title="Tutorial")
    chapter = old.get_model("contentizer", "Chapter").objects.create(project=project, title="Installing", position=0)
    for _ in range(2):
        job = old.get_model("contentizer", "Job").objects.create(kind="video", owner=owner)
        old.get_model("previews", "Video").objects.create(owner=owner, project=project, chapter=chapter, job=job)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    from previews.models import Video

    assert [video.title for video in Video.objects.all()] == ["Installing", "Installing"]
