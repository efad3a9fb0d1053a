"""An import upload on storage that refuses writes: 503 naming the cause, nothing kept (issue 17.13)."""

from __future__ import annotations

import errno

import pytest
from django.conf import settings

from contentizer.jobs.models import Job
from tests.conftest import left_behind
from tests.faults import DiskFault, FailingStorage

NOTHING = {"media": [], "tmp": []}


def _post(api, path):
    with open(path, "rb") as fh:
        return api.post("/api/import", {"file": fh}, format="multipart")


@pytest.fixture
def read_only_storage(settings):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "tests.faults.FailingStorage"}}
    FailingStorage.heal()
    FailingStorage.read_only = True
    yield FailingStorage
    FailingStorage.heal()


def test_an_import_upload_to_read_only_storage_is_a_503_and_keeps_nothing(alice_api, zips, export,
                                                                          read_only_storage):
    response = _post(alice_api, export.write(zips / "ok.zip"))
    assert response.status_code == 503, response.content
    error = response.json()["error"]
    assert (error["code"], error["details"]["cause"]) == ("storage_unavailable", "read_only")
    assert "read-only" in error["message"] and response["Retry-After"]
    assert Job.objects.count() == 0 and left_behind() == NOTHING


def test_an_import_upload_on_a_full_disk_is_a_503_and_keeps_nothing(alice_api, zips, export, monkeypatch):
    path = export.write(zips / "ok.zip")
    DiskFault(settings.FILE_UPLOAD_TEMP_DIR, code=errno.ENOSPC, room=1024).install(monkeypatch.setattr)
    response = _post(alice_api, path)
    assert response.status_code == 503, response.content
    assert response.json()["error"]["details"]["cause"] == "full"
    assert Job.objects.count() == 0 and left_behind() == NOTHING
