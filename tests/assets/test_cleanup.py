"""Orphan cleanup: unreferenced blobs go after the grace period, nothing else does."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task, result

from assets import references
from assets.models import Asset, Blob
from tests import media
from tests.conftest import ON_S3, stored_keys, upload_file, wait_for


def _upload_and_unlink(client, project, color=(1, 2, 3)) -> Blob:
    asset = upload_file(client, project.id, "x.png", media.image_bytes("PNG", color=color)).json()
    Asset.objects.filter(pk=asset["id"]).delete()
    return Blob.objects.get(sha256=asset["sha256"])


def _age(blob: Blob, seconds: int = 2 * 86400) -> None:
    Blob.objects.filter(pk=blob.pk).update(last_linked_at=timezone.now() - timedelta(seconds=seconds))


def _media() -> list[str]:
    return stored_keys()


def test_it_deletes_an_unlinked_blob_and_its_thumbnail_after_the_grace_period(alice_api, alice_project):
    blob = _upload_and_unlink(alice_api, alice_project)
    _age(blob)
    call_command("assets_cleanup", stdout=StringIO())
    assert not Blob.objects.filter(pk=blob.pk).exists()
    assert _media() == []


def test_it_keeps_an_unlinked_blob_within_the_grace_period(alice_api, alice_project):
    blob = _upload_and_unlink(alice_api, alice_project)
    call_command("assets_cleanup", stdout=StringIO())
    assert Blob.objects.filter(pk=blob.pk).exists()
    assert blob.storage_key in _media() and blob.thumbnail_key in _media()


def test_it_keeps_linked_blobs(alice_api, alice_project):
    asset = upload_file(alice_api, alice_project.id, "x.png", media.image_bytes("PNG")).json()
    Blob.objects.update(last_linked_at=timezone.now() - timedelta(days=30))
    call_command("assets_cleanup", stdout=StringIO())
    assert alice_api.get(f"/api/assets/{asset['id']}/content").status_code == 200


def test_it_lists_but_keeps_everything_on_dry_run(alice_api, alice_project):
    blob = _upload_and_unlink(alice_api, alice_project)
    _age(blob)
    before = _media()
    out = StringIO()
    call_command("assets_cleanup", "--dry-run", stdout=out)
    assert f"would delete {blob.storage_key}" in out.getvalue()
    assert "1 object(s) would be deleted." in out.getvalue()
    assert _media() == before and Blob.objects.filter(pk=blob.pk).exists()


def test_it_spares_blobs_a_registered_provider_still_needs(alice_api, alice_project):
    blob = _upload_and_unlink(alice_api, alice_project)
    _age(blob)

    def job_outputs():
        return [blob.pk]

    references.register(job_outputs)
    try:
        call_command("assets_cleanup", stdout=StringIO())
    finally:
        references._providers.remove(job_outputs)
    assert Blob.objects.filter(pk=blob.pk).exists()


@pytest.mark.skipif(ON_S3, reason="ages objects through a local file's mtime; S3 sets LastModified itself")
def test_it_removes_stray_objects_with_no_blob_record_only_when_old(alice_project):
    root = Path(settings.MEDIA_ROOT)
    old = root / "assets/ab/cd" / ("abcd" + "0" * 60 + ".png")
    new = root / "assets/ef/01" / ("ef01" + "0" * 60 + ".png")
    for path in (old, new):
        path.parent.mkdir(parents=True)
        path.write_bytes(b"left by a crash")
    two_days_ago = time.time() - 2 * 86400
    os.utime(old, (two_days_ago, two_days_ago))
    call_command("assets_cleanup", stdout=StringIO())
    assert not old.exists() and new.exists()


def test_it_removes_stale_upload_temporaries(db):
    stale = Path(settings.FILE_UPLOAD_TEMP_DIR) / "tmpabc.upload"
    fresh = Path(settings.FILE_UPLOAD_TEMP_DIR) / "tmpdef.upload"
    stale.write_bytes(b"x")
    fresh.write_bytes(b"x")
    os.utime(stale, (time.time() - 2 * 86400,) * 2)
    call_command("assets_cleanup", stdout=StringIO())
    assert not stale.exists() and fresh.exists()


def test_it_schedules_cleanup_hourly(db):
    schedule = Schedule.objects.get(func="assets.tasks.cleanup_orphans")
    assert schedule.schedule_type == Schedule.HOURLY and schedule.repeats == -1


@pytest.mark.django_db(transaction=True)
def test_a_worker_runs_the_cleanup_task_through_the_broker(alice_api, alice_project, worker):
    # Keep the hourly schedule out of the way so the task under test is the one that deletes.
    Schedule.objects.update(next_run=timezone.now() + timedelta(hours=1))
    blob = _upload_and_unlink(alice_api, alice_project)
    _age(blob)
    keep = upload_file(alice_api, alice_project.id, "keep.png", media.image_bytes("PNG", color=(7, 7, 7))).json()
    task_id = async_task("assets.tasks.cleanup_orphans")
    assert wait_for(lambda: result(task_id), timeout=60) == 1
    assert blob.storage_key not in _media()
    assert Blob.objects.filter(sha256=keep["sha256"]).exists()
