"""A full disk mid-upload: nothing half-written is kept, trusted or served, and a retry heals."""

from __future__ import annotations

import hashlib
import io
import os

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from assets import hashing
from assets.models import Asset, Blob
from tests.conftest import upload_file
from tests.faults import FailingStorage

MiB = 1024 * 1024


@pytest.fixture
def failing(settings):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "tests.faults.FailingStorage"}}
    FailingStorage.heal()
    yield FailingStorage
    FailingStorage.heal()


def _noise_png(side: int = 1024) -> bytes:
    """Random pixels: a PNG of about 3 bytes per pixel, and a thumbnail of tens of KiB."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(3 * side * side)).save(buffer, format="PNG", compress_level=0)
    return buffer.getvalue()


def _download(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, response.content[:200]
    return b"".join(response.streaming_content)


def test_an_upload_cut_by_a_full_disk_is_a_503_and_leaves_no_blob(alice_api, alice_project, failing):
    content = _noise_png()
    assert len(content) > 3 * MiB
    failing.cut_after = {".png": 1 * MiB}
    response = upload_file(alice_api, alice_project.id, "screen.png", content)
    assert response.status_code == 503, response.content
    assert response.json()["error"]["code"] == "storage_unavailable"
    sha = hashlib.sha256(content).hexdigest()
    assert failing.cuts and not default_storage.exists(f"assets/{sha[:2]}/{sha[2:4]}/{sha}.png")
    assert Blob.objects.count() == 0 and Asset.objects.count() == 0

    failing.heal()  # space freed: the retry stores the whole file
    retry = upload_file(alice_api, alice_project.id, "screen.png", content)
    assert retry.status_code == 201, retry.json()
    assert hashlib.sha256(_download(alice_api, f"/api/assets/{retry.json()['id']}/content")).hexdigest() == sha


def test_a_cut_file_left_at_the_blob_key_is_replaced_by_the_next_upload(alice_api, alice_project):
    content = _noise_png()
    sha = hashlib.sha256(content).hexdigest()
    key = f"assets/{sha[:2]}/{sha[2:4]}/{sha}.png"
    default_storage.save(key, ContentFile(content[: 1 * MiB]))  # what a crashed write left behind
    response = upload_file(alice_api, alice_project.id, "screen.png", content)
    assert response.status_code == 201, response.json()
    served = _download(alice_api, f"/api/assets/{response.json()['id']}/content")
    assert len(served) == len(content) and hashlib.sha256(served).hexdigest() == sha


def test_a_blob_cut_after_it_was_recorded_is_never_served_and_a_reupload_repairs_it(alice_api, alice_project):
    content = _noise_png(512)
    first = upload_file(alice_api, alice_project.id, "screen.png", content).json()
    blob = Blob.objects.get(sha256=first["sha256"])
    default_storage.delete(blob.storage_key)
    default_storage.save(blob.storage_key, ContentFile(content[:4096]))
    assert alice_api.get(f"/api/assets/{first['id']}/content").status_code == 404
    again = upload_file(alice_api, alice_project.id, "screen.png", content)
    assert again.status_code == 200 and again.json()["deduplicated"] is True
    assert _download(alice_api, f"/api/assets/{first['id']}/content") == content


def test_a_thumbnail_cut_at_8_kib_is_never_served_and_the_retry_makes_it_whole(alice_api, alice_project, failing):
    content = _noise_png(640)
    failing.cut_after = {".webp": 8 * 1024}
    response = upload_file(alice_api, alice_project.id, "screen.png", content)
    assert response.status_code == 503, response.content
    thumb_key = hashing.thumbnail_key(hashlib.sha256(content).hexdigest())
    assert Blob.objects.count() == 0 and not default_storage.exists(thumb_key)
    failing.heal()
    asset = upload_file(alice_api, alice_project.id, "screen.png", content).json()
    thumb = _download(alice_api, f"/api/assets/{asset['id']}/thumbnail")
    assert len(thumb) > 8 * 1024
    with Image.open(io.BytesIO(thumb)) as image:
        image.load()  # decodes to the last pixel: a cut WebP raises here
        assert image.format == "WEBP" and max(image.size) == 320


def test_a_thumbnail_cut_in_place_is_a_404_until_a_reupload_repairs_it(alice_api, alice_project):
    content = _noise_png(640)
    asset = upload_file(alice_api, alice_project.id, "screen.png", content).json()
    blob = Blob.objects.get(sha256=asset["sha256"])
    whole = _download(alice_api, f"/api/assets/{asset['id']}/thumbnail")
    default_storage.delete(blob.thumbnail_key)
    default_storage.save(blob.thumbnail_key, ContentFile(whole[:8192]))
    assert alice_api.get(f"/api/assets/{asset['id']}/thumbnail").status_code == 404
    assert upload_file(alice_api, alice_project.id, "again.png", content).status_code == 200
    assert _download(alice_api, f"/api/assets/{asset['id']}/thumbnail") == whole


def test_a_full_disk_during_an_upload_of_bytes_bob_has_is_a_503_and_bobs_blob_stays_whole(
    alice_api, bob_api, alice_project, bob_project, failing,
):
    content = _noise_png(640)
    bobs = upload_file(bob_api, bob_project.id, "screen.png", content).json()
    failing.cut_after = {".png": 64 * 1024}
    response = upload_file(alice_api, alice_project.id, "screen.png", content)
    assert response.status_code == 503 and response.json()["error"]["code"] == "storage_unavailable"
    assert Asset.objects.count() == 1
    failing.heal()
    assert _download(bob_api, f"/api/assets/{bobs['id']}/content") == content
    assert upload_file(alice_api, alice_project.id, "screen.png", content).status_code == 201
