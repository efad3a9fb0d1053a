"""A disk that is read-only or full under an upload: 503 naming the cause, with Retry-After, and
nothing kept (issue 17.13). The faults are the operating system's (tests/faults.py DiskFault)."""

from __future__ import annotations

import errno

import pytest
from django.conf import settings

from assets.models import Asset, Blob
from tests import media
from tests.conftest import left_behind, upload_file
from tests.faults import DiskFault

NOTHING = {"media": [], "tmp": []}


def _assert_503(response, cause: str, words: str) -> None:
    assert response.status_code == 503, response.content
    error = response.json()["error"]
    assert (error["code"], error["details"]["cause"]) == ("storage_unavailable", cause)
    assert words in error["message"] and settings.FILE_UPLOAD_TEMP_DIR not in error["message"]
    assert int(response["Retry-After"]) > 0


@pytest.fixture
def upload_disk(monkeypatch):
    """The upload temporaries' disk, failing as each test says."""
    def fail(**kwargs) -> DiskFault:
        return DiskFault(settings.FILE_UPLOAD_TEMP_DIR, **kwargs).install(monkeypatch.setattr)

    return fail


def test_an_upload_to_a_read_only_disk_is_a_503_naming_it_and_keeps_nothing(alice_api, alice_project, upload_disk):
    upload_disk(code=errno.EROFS)
    response = upload_file(alice_api, alice_project.id, "shot.png", media.image_bytes("PNG"))
    _assert_503(response, "read_only", "read-only")
    assert left_behind() == NOTHING and Blob.objects.count() == Asset.objects.count() == 0


def test_an_upload_that_fills_the_disk_midway_is_a_503_naming_it_and_keeps_nothing(
        alice_api, alice_project, upload_disk):
    content = media.noise_png((600, 600), seed=2)
    assert len(content) > 512 * 1024
    upload_disk(code=errno.ENOSPC, room=256 * 1024)
    response = upload_file(alice_api, alice_project.id, "noise.png", content)
    _assert_503(response, "full", "disk is full")
    assert left_behind() == NOTHING and Blob.objects.count() == Asset.objects.count() == 0


@pytest.fixture
def failing(settings):
    from tests.faults import FailingStorage

    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "tests.faults.FailingStorage"}}
    FailingStorage.heal()
    yield FailingStorage
    FailingStorage.heal()


def test_storage_refusing_the_blob_names_the_cause(alice_api, alice_project, failing):
    failing.read_only = True
    response = upload_file(alice_api, alice_project.id, "shot.png", media.image_bytes("PNG"))
    _assert_503(response, "read_only", "storage is read-only")
    failing.heal()
    failing.cut_after = {".png": 1024}
    response = upload_file(alice_api, alice_project.id, "shot.png", media.noise_png((200, 200), seed=1))
    _assert_503(response, "full", "disk is full")
    assert Blob.objects.count() == Asset.objects.count() == 0


def test_under_the_asgi_server_a_body_that_cannot_be_spooled_is_a_503(monkeypatch, tmp_path):
    """Django's ASGI handler spools a large body to a temporary file before any view runs."""
    import json
    import tempfile

    from asgiref.sync import async_to_sync

    from contentizer.asgi import application

    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    DiskFault(spool, code=errno.EROFS).install(monkeypatch.setattr)
    body = b"x" * (settings.FILE_UPLOAD_MAX_MEMORY_SIZE + 1)
    sent, messages = [], [{"type": "http.request", "body": body[:1 << 20], "more_body": True},
                          {"type": "http.request", "body": body[1 << 20:], "more_body": False}]

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/api/projects/1/assets", "query_string": b"",
             "headers": [(b"host", b"testserver"), (b"content-length", str(len(body)).encode())],
             "server": ("testserver", 80), "client": ("127.0.0.1", 5000), "scheme": "http",
             "asgi": {"version": "3.0"}, "http_version": "1.1", "root_path": ""}
    async_to_sync(application)(scope, receive, send)
    start = sent[0]
    assert start["status"] == 503 and dict(start["headers"])[b"retry-after"] == b"60"
    error = json.loads(sent[1]["body"])["error"]
    assert (error["code"], error["details"]["cause"]) == ("storage_unavailable", "read_only")
    assert not list(spool.iterdir())
