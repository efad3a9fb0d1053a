"""Resumable uploads (tus 1.0) at /api/uploads/: the protocol, its checks, and a real tus client."""

from __future__ import annotations

import base64
import errno
import hashlib
import http.client
import os
import socket
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone
from django_q.models import Schedule

from assets import tus
from assets.models import Asset, Blob, Upload
from tests import media
from tests.conftest import left_behind, upload_file, wait_for
from tests.faults import DiskFault

TUS = {"HTTP_TUS_RESUMABLE": "1.0.0"}
CHUNK_TYPE = "application/offset+octet-stream"
NOTHING = {"media": [], "tmp": []}


def _metadata(**pairs: str) -> str:
    return ",".join(f"{key} {base64.b64encode(value.encode()).decode()}" for key, value in pairs.items())


def _create(client, project_id: int, length: int, filename: str = "shot.png", **extra):
    return client.generic("POST", "/api/uploads/", b"", HTTP_UPLOAD_LENGTH=str(length),
                          HTTP_UPLOAD_METADATA=_metadata(filename=filename, projectId=str(project_id)),
                          **{**TUS, **extra})


def _path(response) -> str:
    assert response.status_code == 201, response.content
    return urlsplit(response["Location"]).path


def _patch(client, url: str, offset: int, chunk: bytes, **extra):
    return client.generic("PATCH", url, chunk, content_type=CHUNK_TYPE, HTTP_UPLOAD_OFFSET=str(offset),
                          **{**TUS, **extra})


def _upload_in_chunks(client, project_id: int, content: bytes, size: int, filename: str = "shot.png"):
    url = _path(_create(client, project_id, len(content), filename))
    response = None
    for offset in range(0, len(content), size):
        response = _patch(client, url, offset, content[offset:offset + size])
        if response.status_code != 204:
            return url, response
        assert int(response["Upload-Offset"]) == min(offset + size, len(content))
    return url, response


def test_options_says_which_protocol_extensions_and_size_the_server_supports(client, db):
    response = client.options("/api/uploads/")
    assert response.status_code == 204
    assert response["Tus-Version"] == "1.0.0"
    assert set(response["Tus-Extension"].split(",")) == {"creation", "termination", "expiration", "checksum"}
    assert {"sha1", "sha256"} <= set(response["Tus-Checksum-Algorithm"].split(","))
    assert int(response["Tus-Max-Size"]) == max(settings.ASSET_MAX_BYTES.values())


def test_a_request_without_tus_resumable_is_412_naming_the_version(alice_api, alice_project):
    response = alice_api.generic("POST", "/api/uploads/", b"", HTTP_UPLOAD_LENGTH="10",
                                 HTTP_UPLOAD_METADATA=_metadata(projectId=str(alice_project.id)))
    assert response.status_code == 412 and response["Tus-Version"] == "1.0.0"
    assert response.json()["error"]["code"] == "unsupported_version"
    assert Upload.objects.count() == 0


def test_creation_answers_a_location_an_expiry_and_offset_zero(alice_api, alice_project):
    created = _create(alice_api, alice_project.id, 1234)
    url = _path(created)
    assert created["Upload-Expires"] and created["Tus-Resumable"] == "1.0.0"
    head = alice_api.head(url, **TUS)
    assert head.status_code == 200
    assert (head["Upload-Offset"], head["Upload-Length"], head["Cache-Control"]) == ("0", "1234", "no-store")
    assert tus.parse_metadata(head["Upload-Metadata"]) == {"filename": "shot.png", "projectId": str(alice_project.id)}


def test_chunks_assemble_into_exactly_the_file_that_was_sent(alice_api, alice_project):
    content = media.noise_png((300, 200), seed=3)
    url, last = _upload_in_chunks(alice_api, alice_project.id, content, size=len(content) // 3 + 1)
    assert last.status_code == 204 and last["Upload-Offset"] == str(len(content))
    asset = Asset.objects.get(pk=last["Contentizer-Asset-Id"])
    assert (asset.project_id, asset.original_name, last["Contentizer-Deduplicated"]) == (
        alice_project.id, "shot.png", "false")
    with default_storage.open(asset.blob.storage_key, "rb") as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == hashlib.sha256(content).hexdigest() == asset.blob.sha256
    assert asset.blob.kind == "image" and (asset.blob.width, asset.blob.height) == (300, 200)
    head = alice_api.head(url, **TUS)  # a client that lost the last answer still learns the asset
    assert head["Upload-Offset"] == str(len(content)) and head["Contentizer-Asset-Id"] == str(asset.pk)
    assert not any(Path(settings.FILE_UPLOAD_TEMP_DIR).rglob("*.*")) and not list(tus.upload_dir().iterdir())


def test_the_same_bytes_twice_make_one_blob_and_say_so(alice_api, alice_project):
    content = media.image_bytes("PNG", color=(1, 2, 3))
    _, first = _upload_in_chunks(alice_api, alice_project.id, content, size=len(content))
    _, second = _upload_in_chunks(alice_api, alice_project.id, content, size=len(content), filename="again.png")
    assert first["Contentizer-Asset-Id"] == second["Contentizer-Asset-Id"]
    assert second["Contentizer-Deduplicated"] == "true" and Blob.objects.count() == 1


def test_a_chunk_at_the_wrong_offset_is_409_and_changes_nothing(alice_api, alice_project):
    content = media.image_bytes("PNG")
    url = _path(_create(alice_api, alice_project.id, len(content)))
    assert _patch(alice_api, url, 0, content[:1000]).status_code == 204
    for wrong in (0, 500, 1001):
        response = _patch(alice_api, url, wrong, content[wrong:wrong + 100])
        assert response.status_code == 409, response.content
        assert response.json()["error"]["code"] == "offset_mismatch"
        assert response.json()["error"]["details"] == {"expected": 1000, "received": wrong}
    assert alice_api.head(url, **TUS)["Upload-Offset"] == "1000"
    assert (tus.upload_dir() / url.rsplit("/", 1)[1]).read_bytes() == content[:1000]


def test_an_upload_whose_received_bytes_are_gone_is_never_padded_and_must_start_again(alice_api, alice_project):
    content = media.noise_png((100, 100), seed=8)
    url = _path(_create(alice_api, alice_project.id, len(content)))
    _patch(alice_api, url, 0, content[:10_000])
    (tus.upload_dir() / url.rsplit("/", 1)[1]).unlink()  # e.g. another web machine, or a wiped disk
    response = _patch(alice_api, url, 10_000, content[10_000:])
    assert response.status_code == 409 and response.json()["error"]["code"] == "upload_lost"
    assert alice_api.head(url, **TUS).status_code == 404  # a tus client then creates a new upload
    assert Blob.objects.count() == 0 and left_behind() == NOTHING


def test_a_chunk_longer_than_what_remains_is_413(alice_api, alice_project):
    url = _path(_create(alice_api, alice_project.id, 10))
    response = _patch(alice_api, url, 0, b"x" * 11)
    assert response.status_code == 413 and response.json()["error"]["code"] == "chunk_too_large"
    assert alice_api.head(url, **TUS)["Upload-Offset"] == "0"


def test_a_chunk_must_be_sent_as_offset_octet_stream(alice_api, alice_project):
    url = _path(_create(alice_api, alice_project.id, 10))
    response = alice_api.generic("PATCH", url, b"x" * 10, content_type="application/json",
                                 HTTP_UPLOAD_OFFSET="0", **TUS)
    assert response.status_code == 415 and alice_api.head(url, **TUS)["Upload-Offset"] == "0"


@pytest.mark.parametrize(("length", "status", "code"), [
    ("0", 400, "empty_file"), ("-5", 400, "invalid_header"), ("12abc", 400, "invalid_header"),
    (str(10**30), 400, "invalid_header"),
])
def test_bad_lengths_are_refused_before_anything_is_made(alice_api, alice_project, length, status, code):
    response = alice_api.generic("POST", "/api/uploads/", b"", HTTP_UPLOAD_LENGTH=length,
                                 HTTP_UPLOAD_METADATA=_metadata(projectId=str(alice_project.id)), **TUS)
    assert response.status_code == status and response.json()["error"]["code"] == code
    assert Upload.objects.count() == 0 and left_behind() == NOTHING


def test_a_length_over_the_largest_asset_is_413(alice_api, alice_project):
    response = _create(alice_api, alice_project.id, max(settings.ASSET_MAX_BYTES.values()) + 1)
    assert response.status_code == 413 and response.json()["error"]["code"] == "payload_too_large"


@pytest.mark.parametrize("metadata", ["filename c2hvdC5wbmc=", "projectId bm90IGFuIGlk", "projectId !!!notbase64",
                                      "projectId MQ==,projectId Mg=="])
def test_metadata_must_name_one_project_in_base64(alice_api, alice_project, metadata):
    response = alice_api.generic("POST", "/api/uploads/", b"", HTTP_UPLOAD_LENGTH="10",
                                 HTTP_UPLOAD_METADATA=metadata, **TUS)
    assert response.status_code == 400 and response.json()["error"]["code"] in ("validation_error", "invalid_metadata")
    assert Upload.objects.count() == 0


def test_a_hostile_file_name_is_only_ever_a_cleaned_display_name(alice_api, alice_project):
    content = media.image_bytes("PNG", color=(9, 9, 9))
    url, last = _upload_in_chunks(alice_api, alice_project.id, content, size=len(content),
                                  filename="../../etc/\u202epasswd\x00.png")
    asset = Asset.objects.get(pk=last["Contentizer-Asset-Id"])
    assert "\u202e" not in asset.original_name and "\x00" not in asset.original_name
    assert asset.blob.storage_key.startswith("assets/") and asset.blob.sha256 in asset.blob.storage_key
    assert url.rsplit("/", 1)[1] == str(Upload.objects.get().id)  # the server named the chunk file


def test_another_users_upload_is_404_for_every_method(alice_api, bob_api, alice_project, bob_project):
    url = _path(_create(alice_api, alice_project.id, 100))
    assert bob_api.head(url, **TUS).status_code == 404
    assert _patch(bob_api, url, 0, b"x" * 100).status_code == 404
    assert bob_api.delete(url, **TUS).status_code == 404
    assert alice_api.head(url, **TUS)["Upload-Offset"] == "0"
    # and nobody uploads into a project that is not theirs
    response = _create(bob_api, alice_project.id, 100)
    assert response.status_code == 404 and Upload.objects.filter(owner__username="bob").count() == 0


def test_termination_removes_the_upload_and_its_bytes(alice_api, alice_project):
    url = _path(_create(alice_api, alice_project.id, 100))
    _patch(alice_api, url, 0, b"x" * 40)
    assert alice_api.delete(url, **TUS).status_code == 204
    assert alice_api.head(url, **TUS).status_code == 404
    assert Upload.objects.count() == 0 and left_behind() == NOTHING


def test_x_http_method_override_is_obeyed(alice_api, alice_project):
    url = _path(_create(alice_api, alice_project.id, 100))
    response = alice_api.generic("POST", url, b"a" * 40, content_type=CHUNK_TYPE, HTTP_UPLOAD_OFFSET="0",
                                 HTTP_X_HTTP_METHOD_OVERRIDE="PATCH", **TUS)
    assert response.status_code == 204 and response["Upload-Offset"] == "40"
    assert Upload.objects.get().offset == 40


REJECTED = [
    ("page.png", lambda av: b"<!DOCTYPE html><html><body>hi</body></html>" * 20, 415, "unsupported_media_type"),
    ("truncated.jpg", lambda av: media.image_bytes("JPEG", size=(800, 600))[:900], 422, "invalid_media"),
    ("noindex.mp4", lambda av: (av / "clip.mp4").read_bytes()[:3000], 422, "invalid_media"),
]


@pytest.mark.parametrize(("name", "make", "status", "code"), REJECTED, ids=[r[0] for r in REJECTED])
def test_content_refused_after_the_last_chunk_gets_the_direct_uploads_answer_and_leaves_nothing(
        alice_api, alice_project, av_dir, name, make, status, code):
    content = make(av_dir)
    direct = upload_file(alice_api, alice_project.id, name, content)
    assert (direct.status_code, left_behind()) == (status, NOTHING)
    url, last = _upload_in_chunks(alice_api, alice_project.id, content, size=len(content) // 2 + 1, filename=name)
    assert last.status_code == status and last.json() == direct.json()
    assert last.json()["error"]["code"] == code
    assert alice_api.head(url, **TUS).status_code == 404
    assert left_behind() == NOTHING and Upload.objects.count() == 0 and Blob.objects.count() == 0


def test_a_kind_over_its_own_limit_is_refused_after_the_last_chunk_like_a_direct_upload(
        alice_api, alice_project, settings):
    settings.ASSET_MAX_BYTES = {**settings.ASSET_MAX_BYTES, "image": 500}
    content = media.image_bytes("PNG", (300, 300), (200, 10, 10))
    _, last = _upload_in_chunks(alice_api, alice_project.id, content, size=len(content))
    assert last.status_code == 413 and last.json() == upload_file(alice_api, alice_project.id, "x.png", content).json()
    assert left_behind() == NOTHING


def test_an_expired_upload_answers_410_and_the_sweep_removes_it_with_its_bytes(alice_api, alice_project):
    url = _path(_create(alice_api, alice_project.id, 100))
    _patch(alice_api, url, 0, b"x" * 30)
    Upload.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert alice_api.head(url, **TUS).status_code == 410
    assert _patch(alice_api, url, 30, b"y" * 10).json()["error"]["code"] == "upload_expired"
    assert tus.uploads_expire() == 1
    assert alice_api.head(url, **TUS).status_code == 404 and left_behind() == NOTHING


def test_the_sweep_spares_uploads_in_flight_and_removes_files_no_upload_names(alice_api, alice_project):
    url = _path(_create(alice_api, alice_project.id, 100))
    _patch(alice_api, url, 0, b"x" * 30)
    stray = tus.upload_dir() / "0b0e9f5e-5c3f-4f4e-9a43-000000000000"
    stray.write_bytes(b"left by a crash")
    old = time.time() - settings.TUS_EXPIRY_SECONDS - 60
    os.utime(stray, (old, old))
    assert tus.uploads_expire() == 1
    assert not stray.exists() and alice_api.head(url, **TUS)["Upload-Offset"] == "30"


def test_the_expiry_sweep_is_scheduled(db):
    schedule = Schedule.objects.get(func="assets.tasks.expire_uploads")
    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == ("I", 15, -1)


def test_unfinished_uploads_per_user_are_bounded(alice_api, alice_project, settings):
    settings.TUS_MAX_ACTIVE_UPLOADS = 2
    for _ in range(2):
        _path(_create(alice_api, alice_project.id, 10))
    response = _create(alice_api, alice_project.id, 10)
    assert response.status_code == 429 and response["Retry-After"] == "60"
    assert response.json()["error"]["code"] == "too_many_uploads"


# --- over a real socket: an interrupted chunk, and a real tus client ------------------------------

def _token(user) -> str:
    from rest_framework.authtoken.models import Token

    return Token.objects.get_or_create(user=user)[0].key


@pytest.mark.django_db(transaction=True)
def test_a_chunk_cut_off_midway_keeps_what_arrived_and_the_upload_resumes_from_there(live_server, alice):
    from contentizer.models import Project

    project = Project.objects.create(owner=alice, title="Resumable")
    content = media.noise_png((200, 200), seed=4)
    auth = {"Authorization": f"Token {_token(alice)}", "Tus-Resumable": "1.0.0"}
    host, port = urlsplit(live_server.url).hostname, urlsplit(live_server.url).port
    conn = http.client.HTTPConnection(host, port, timeout=10)
    conn.request("POST", "/api/uploads/", headers={**auth, "Upload-Length": str(len(content)),
                                                   "Upload-Metadata": _metadata(filename="cut.png",
                                                                                projectId=str(project.id))})
    created = conn.getresponse()
    created.read()
    path = urlsplit(created.getheader("Location")).path
    half = len(content) // 2
    with socket.create_connection((host, port), timeout=10) as raw:  # the connection drops half-way
        raw.sendall((f"PATCH {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: {auth['Authorization']}\r\n"
                     f"Tus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\nContent-Type: {CHUNK_TYPE}\r\n"
                     f"Content-Length: {len(content)}\r\n\r\n").encode() + content[:half])
        raw.shutdown(socket.SHUT_WR)

    def offset() -> int | None:
        conn.request("HEAD", path, headers=auth)
        response = conn.getresponse()
        response.read()
        value = int(response.getheader("Upload-Offset"))
        return value if value and Upload.objects.get().busy_until is None else None

    assert wait_for(offset, timeout=15) == half
    conn.request("PATCH", path, body=content[half:], headers={
        **auth, "Upload-Offset": str(half), "Content-Type": CHUNK_TYPE})
    done = conn.getresponse()
    done.read()
    assert done.status == 204, done.status
    blob = Asset.objects.get(pk=done.getheader("Contentizer-Asset-Id")).blob
    assert blob.sha256 == hashlib.sha256(content).hexdigest()


@pytest.mark.django_db(transaction=True)
def test_a_command_line_tus_client_uploads_in_chunks(live_server, alice, tmp_path):
    from tusclient.client import TusClient

    from contentizer.models import Project

    project = Project.objects.create(owner=alice, title="From the command line")
    source = tmp_path / "diagram.png"
    source.write_bytes(media.noise_png((200, 150), seed=5))  # ~90 kB: five chunks
    client = TusClient(f"{live_server.url}/api/uploads/", headers={"Authorization": f"Token {_token(alice)}"})
    uploader = client.uploader(str(source), chunk_size=20_000,
                               metadata={"filename": "diagram.png", "projectId": str(project.id)})
    uploader.upload()
    asset = Asset.objects.get(project=project)
    assert asset.original_name == "diagram.png"
    assert asset.blob.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    assert Upload.objects.get().offset == source.stat().st_size


# --- limits at creation: the largest asset and the storage quota (issue 17.14) ---------------------

def test_a_length_over_the_storage_quota_is_refused_at_creation(alice_api, alice_project, settings):
    settings.VIDEO_QUOTA_BYTES = 10_000
    response = _create(alice_api, alice_project.id, 10_001)
    assert response.status_code == 403, response.content
    error = response.json()["error"]
    assert error["code"] == "quota_exceeded" and error["details"] == {"quota": 10_000, "usage": 0, "needed": 10_001}
    assert Upload.objects.count() == 0 and left_behind() == NOTHING


def test_unfinished_uploads_count_against_the_quota(alice_api, alice_project, settings):
    settings.VIDEO_QUOTA_BYTES = 10_000
    assert _create(alice_api, alice_project.id, 6_000).status_code == 201
    response = _create(alice_api, alice_project.id, 6_000)
    assert response.status_code == 403 and response.json()["error"]["details"]["needed"] == 12_000
    assert Upload.objects.count() == 1


# --- deleting what an upload made (issue 17.14) ---------------------------------------------------

def test_deleting_assets_made_by_uploads_frees_their_places(alice_api, alice_project, settings):
    settings.TUS_MAX_ACTIVE_UPLOADS = 2
    for colour in ((1, 1, 1), (2, 2, 2)):
        _, last = _upload_in_chunks(alice_api, alice_project.id, media.image_bytes("PNG", color=colour), size=10**6)
        asset_url = f"/api/projects/{alice_project.id}/assets/{last['Contentizer-Asset-Id']}"
        assert alice_api.delete(asset_url).status_code == 204
    for _ in range(2):
        assert _create(alice_api, alice_project.id, 100).status_code == 201


# --- a finish cut short is resumed (issue 17.14) --------------------------------------------------

class _Killed(BaseException):
    """The web worker dies (SIGKILL, OOM) while the last chunk's file becomes an asset."""


def _all_in_but_never_finished(client, project_id: int, content: bytes, monkeypatch) -> str:
    url = _path(_create(client, project_id, len(content)))
    with monkeypatch.context() as patched:
        patched.setattr(tus, "asset_ingest", lambda **kwargs: (_ for _ in ()).throw(_Killed()))
        with pytest.raises(_Killed):
            _patch(client, url, 0, content)
    # What the dead worker left: every byte on disk and counted, no asset, its lease running
    Upload.objects.update(busy_until=timezone.now() + timedelta(seconds=tus.FINISH_LEASE_SECONDS))
    return url


def test_a_head_finishes_an_upload_whose_finishing_request_died(alice_api, alice_project, monkeypatch):
    content = media.noise_png((120, 80), seed=11)
    url = _all_in_but_never_finished(alice_api, alice_project.id, content, monkeypatch)
    busy = alice_api.head(url, **TUS)  # the dead request's lease still holds: not yet, and not twice
    assert busy.status_code == 423 and Asset.objects.count() == 0
    Upload.objects.update(busy_until=timezone.now() - timedelta(seconds=1))  # its lease ran out
    head = alice_api.head(url, **TUS)
    assert head.status_code == 200 and head["Upload-Offset"] == str(len(content))
    asset = Asset.objects.get(pk=head["Contentizer-Asset-Id"])
    assert asset.blob.sha256 == hashlib.sha256(content).hexdigest() and asset.original_name == "shot.png"
    assert not list(tus.upload_dir().iterdir())
    assert alice_api.head(url, **TUS)["Contentizer-Asset-Id"] == str(asset.pk)


def test_an_empty_patch_at_the_end_finishes_an_upload_whose_finishing_request_died(
        alice_api, alice_project, monkeypatch):
    content = media.noise_png((120, 80), seed=12)
    url = _all_in_but_never_finished(alice_api, alice_project.id, content, monkeypatch)
    Upload.objects.update(busy_until=None)
    response = _patch(alice_api, url, len(content), b"")
    assert response.status_code == 204, response.content
    assert Asset.objects.get(pk=response["Contentizer-Asset-Id"]).blob.sha256 == hashlib.sha256(content).hexdigest()
    again = _patch(alice_api, url, len(content), b"")
    assert again.status_code == 409 and again.json()["error"]["code"] == "upload_complete"


def test_a_finish_refused_by_storage_keeps_the_file_for_the_next_request(alice_api, alice_project, settings):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "tests.faults.FailingStorage"}}
    from tests.faults import FailingStorage

    FailingStorage.heal()
    FailingStorage.read_only = True
    content = media.noise_png((120, 80), seed=13)
    url = _path(_create(alice_api, alice_project.id, len(content)))
    try:
        response = _patch(alice_api, url, 0, content)
        assert response.status_code == 503 and response.json()["error"]["details"]["cause"] == "read_only"
        assert (tus.upload_dir() / url.rsplit("/", 1)[1]).read_bytes() == content
    finally:
        FailingStorage.heal()
    head = alice_api.head(url, **TUS)
    assert head.status_code == 200 and Asset.objects.filter(pk=head["Contentizer-Asset-Id"]).exists()


# --- the checksum extension (issue 17.14) ---------------------------------------------------------

def _checksum(algorithm: str, data: bytes) -> str:
    return f"{algorithm} {base64.b64encode(hashlib.new(algorithm, data).digest()).decode()}"


@pytest.mark.parametrize("algorithm", ["sha1", "sha256"])
def test_a_chunk_matching_its_checksum_is_stored(alice_api, alice_project, algorithm):
    content = media.noise_png((100, 60), seed=14)
    url = _path(_create(alice_api, alice_project.id, len(content)))
    first = _patch(alice_api, url, 0, content[:5000], HTTP_UPLOAD_CHECKSUM=_checksum(algorithm, content[:5000]))
    assert first.status_code == 204 and first["Upload-Offset"] == "5000"
    last = _patch(alice_api, url, 5000, content[5000:], HTTP_UPLOAD_CHECKSUM=_checksum(algorithm, content[5000:]))
    assert last.status_code == 204 and Asset.objects.filter(pk=last["Contentizer-Asset-Id"]).exists()


def test_a_chunk_not_matching_its_checksum_is_460_and_discarded(alice_api, alice_project):
    content = media.noise_png((100, 60), seed=15)
    url = _path(_create(alice_api, alice_project.id, len(content)))
    _patch(alice_api, url, 0, content[:5000])
    damaged = b"\x00" + content[5001:9000]
    response = _patch(alice_api, url, 5000, damaged, HTTP_UPLOAD_CHECKSUM=_checksum("sha1", content[5000:9000]))
    assert response.status_code == 460 and response.json()["error"]["code"] == "checksum_mismatch"
    assert alice_api.head(url, **TUS)["Upload-Offset"] == "5000"
    assert (tus.upload_dir() / url.rsplit("/", 1)[1]).read_bytes() == content[:5000]
    assert _patch(alice_api, url, 5000, content[5000:]).status_code == 204


@pytest.mark.parametrize(("header", "code"), [
    ("md4 AAAA", "unsupported_checksum_algorithm"), ("crc32 AAAAAA==", "unsupported_checksum_algorithm"),
    ("sha1 not-base64!", "invalid_header"), ("sha1 AAAA", "invalid_header"), ("sha1", "invalid_header"),
])
def test_a_checksum_the_server_cannot_check_is_400_and_stores_nothing(alice_api, alice_project, header, code):
    url = _path(_create(alice_api, alice_project.id, 100))
    response = _patch(alice_api, url, 0, b"x" * 40, HTTP_UPLOAD_CHECKSUM=header)
    assert response.status_code == 400 and response.json()["error"]["code"] == code
    assert alice_api.head(url, **TUS)["Upload-Offset"] == "0"


# --- a disk that refuses the bytes (issue 17.13) -------------------------------------------------

def test_a_chunk_on_a_full_disk_is_503_and_the_offset_stays(alice_api, alice_project, monkeypatch):
    content = media.noise_png((300, 300), seed=16)
    url = _path(_create(alice_api, alice_project.id, len(content)))
    assert _patch(alice_api, url, 0, content[:10_000]).status_code == 204
    with monkeypatch.context() as patched:
        DiskFault(tus.upload_dir(), code=errno.ENOSPC, room=100_000).install(patched.setattr)
        response = _patch(alice_api, url, 10_000, content[10_000:])
    assert response.status_code == 503, response.content
    error = response.json()["error"]
    assert (error["code"], error["details"]["cause"]) == ("storage_unavailable", "full")
    assert "disk is full" in error["message"] and int(response["Retry-After"]) > 0
    assert alice_api.head(url, **TUS)["Upload-Offset"] == "10000"
    assert (tus.upload_dir() / url.rsplit("/", 1)[1]).read_bytes() == content[:10_000]
    done = _patch(alice_api, url, 10_000, content[10_000:])  # space freed: the client resends
    assert done.status_code == 204 and Asset.objects.filter(pk=done["Contentizer-Asset-Id"]).exists()


def test_creating_an_upload_on_a_read_only_disk_is_503_and_keeps_nothing(alice_api, alice_project, monkeypatch):
    DiskFault(settings.FILE_UPLOAD_TEMP_DIR).install(monkeypatch.setattr)
    response = _create(alice_api, alice_project.id, 100)
    assert response.status_code == 503 and response.json()["error"]["details"]["cause"] == "read_only"
    assert "read-only" in response.json()["error"]["message"]
    assert Upload.objects.count() == 0


# --- a chunk dropped while the server writes it (issue 17.5) -------------------------------------

@pytest.mark.django_db(transaction=True)
def test_a_chunk_dropped_under_the_asgi_server_is_a_client_abort_keeping_what_was_written(
        alice, web_servers, isolated_storage):
    """A reload while the server writes a chunk: uvicorn tells Django the client is gone, and
    Django closes the request body under the view still reading it. On a slow disk (5 ms a
    write) an 8 MiB chunk takes over half a second to write: time to drop the connection."""
    from contentizer.models import Project

    project = Project.objects.create(owner=alice, title="Reloaded")
    base = web_servers.start(DJANGO_SETTINGS_MODULE="tests.fault_settings", DISK_FAULT="SLOW:0.005",
                             LOG_LEVEL="INFO")
    web_dir = isolated_storage / "web-0"
    auth = {"Authorization": f"Token {_token(alice)}", "Tus-Resumable": "1.0.0"}
    host, port = urlsplit(base).hostname, urlsplit(base).port
    size = 8 * 1024 * 1024
    conn = http.client.HTTPConnection(host, port, timeout=30)
    conn.request("POST", "/api/uploads/", headers={**auth, "Upload-Length": str(size + 1), "Upload-Metadata":
                                                   _metadata(filename="big.mp4", projectId=str(project.id))})
    created = conn.getresponse()
    created.read()
    path = urlsplit(created.getheader("Location")).path
    on_disk = web_dir / "tmp" / "uploads" / "tus" / path.rsplit("/", 1)[1]
    raw = socket.create_connection((host, port), timeout=30)
    raw.sendall((f"PATCH {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: {auth['Authorization']}\r\n"
                 f"Tus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\nContent-Type: {CHUNK_TYPE}\r\n"
                 f"Content-Length: {size}\r\n\r\n").encode() + os.urandom(size))
    wait_for(lambda: on_disk.stat().st_size > 0, timeout=30, interval=0.005)  # the view is writing
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    raw.close()  # a reset, as a reload does
    wait_for(lambda: Upload.objects.get().busy_until is None, timeout=30)

    conn.request("HEAD", path, headers=auth)
    head = conn.getresponse()
    head.read()
    offset = int(head.getheader("Upload-Offset"))
    assert 0 < offset < size and offset == on_disk.stat().st_size, (offset, size)
    log = (web_dir / "web.log").read_text()
    assert "Internal Server Error" not in log and "HTTP/1.1\" 500" not in log
    assert '"event": "tus.client_aborted"' in log


@pytest.mark.django_db(transaction=True)
def test_a_command_line_tus_client_sending_checksums_uploads(live_server, alice, tmp_path):
    from tusclient.client import TusClient

    from contentizer.models import Project

    project = Project.objects.create(owner=alice, title="Checked")
    source = tmp_path / "diagram.png"
    source.write_bytes(media.noise_png((200, 150), seed=6))
    client = TusClient(f"{live_server.url}/api/uploads/", headers={"Authorization": f"Token {_token(alice)}"})
    client.uploader(str(source), chunk_size=20_000, upload_checksum=True,
                    metadata={"filename": "diagram.png", "projectId": str(project.id)}).upload()
    assert Asset.objects.get(project=project).blob.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()


@pytest.mark.django_db(transaction=True)
def test_a_checksummed_chunk_cut_off_midway_is_discarded(live_server, alice):
    from contentizer.models import Project

    project = Project.objects.create(owner=alice, title="Checked and cut")
    content = media.noise_png((200, 200), seed=7)
    auth = {"Authorization": f"Token {_token(alice)}", "Tus-Resumable": "1.0.0"}
    host, port = urlsplit(live_server.url).hostname, urlsplit(live_server.url).port
    conn = http.client.HTTPConnection(host, port, timeout=10)
    conn.request("POST", "/api/uploads/", headers={**auth, "Upload-Length": str(len(content)),
                                                   "Upload-Metadata": _metadata(projectId=str(project.id))})
    created = conn.getresponse()
    created.read()
    path = urlsplit(created.getheader("Location")).path
    with socket.create_connection((host, port), timeout=10) as raw:  # the connection drops half-way
        raw.sendall((f"PATCH {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: {auth['Authorization']}\r\n"
                     f"Tus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\nContent-Type: {CHUNK_TYPE}\r\n"
                     f"Upload-Checksum: {_checksum('sha256', content)}\r\n"
                     f"Content-Length: {len(content)}\r\n\r\n").encode() + content[:len(content) // 2])
        raw.shutdown(socket.SHUT_WR)
        raw.recv(1)  # the server is done with it
    upload = wait_for(lambda: (u := Upload.objects.get()).busy_until is None and u, timeout=15)
    assert upload.offset == 0 and (tus.upload_dir() / str(upload.id)).stat().st_size == 0
