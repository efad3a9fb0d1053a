"""The storage primitives: publish completely or not at all, trust only what was recorded."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from contentizer import storage
from contentizer.models import StoredObject
from tests.conftest import ON_S3
from tests.faults import FailingStorage

pytestmark = pytest.mark.django_db


@pytest.fixture
def failing(settings):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "tests.faults.FailingStorage"}}
    FailingStorage.heal()
    yield FailingStorage
    FailingStorage.heal()


def _local(tmp_path: Path, size: int) -> Path:
    path = tmp_path / "work" / "piece.bin"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(range(256)) * (size // 256))
    return path


def test_a_write_cut_by_a_full_disk_leaves_nothing_at_the_key_or_in_the_ledger(failing, tmp_path):
    failing.cut_after = {".bin": 64 * 1024}
    with pytest.raises(OSError, match="No space left"):
        storage.publish_file(key="videos/cache/x/piece.bin", path=_local(tmp_path, 256 * 1024))
    assert failing.cuts, "the fault was injected"
    assert not default_storage.exists("videos/cache/x/piece.bin")
    assert list(storage.walk(storage.INCOMING)) == []
    assert not StoredObject.objects.exists()


def test_a_published_file_is_recorded_with_its_size_and_hash(tmp_path):
    path = _local(tmp_path, 4096)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert storage.publish_file(key="videos/cache/x/piece.bin", path=path) == 4096
    entry = StoredObject.objects.get(key="videos/cache/x/piece.bin")
    assert (entry.size, entry.sha256) == (4096, digest)
    assert storage.trusted("videos/cache/x/piece.bin")
    assert storage.hash_stored("videos/cache/x/piece.bin") == (digest, 4096)


def test_files_published_together_are_each_recorded_with_their_size_and_hash(tmp_path):
    paths = []
    for n, size in enumerate((1024, 2048, 4096)):
        path = tmp_path / f"seg{n}.ts"
        path.write_bytes(bytes([n]) * size)
        paths.append((f"videos/v/hls/video/seg{n:03d}.ts", path, hashlib.sha256(path.read_bytes()).hexdigest()))
    storage.publish_file(key=paths[0][0], path=_local(tmp_path, 512))  # an older object at one key
    assert storage.publish_files([(key, path) for key, path, _ in paths]) == 1024 + 2048 + 4096
    for key, _, digest in paths:
        entry = StoredObject.objects.get(key=key)
        assert (entry.sha256, storage.hash_stored(key)) == (digest, (digest, entry.size))
        assert storage.trusted(key)


def test_files_published_together_that_fail_part_way_leave_none_of_them_trusted(failing, tmp_path):
    old = tmp_path / "old.ts"
    old.write_bytes(b"o" * 512)
    storage.publish_file(key="videos/v/hls/video/seg000.ts", path=old)
    files = []
    for n, name in enumerate(("seg000.ts", "seg001.ts", "cut.bin")):
        path = tmp_path / name
        path.write_bytes(bytes([n]) * 128 * 1024)
        files.append((f"videos/v/hls/video/{name}", path))
    failing.cut_after = {".bin": 64 * 1024}  # the last file meets a full disk
    with pytest.raises(OSError, match="No space left"):
        storage.publish_files(files)
    assert failing.cuts, "the fault was injected"
    # the first two objects were written, but no ledger row says so: the old one is gone, none is trusted
    assert not StoredObject.objects.filter(key__startswith="videos/v/").exists()
    assert not any(storage.trusted(key) for key, _ in files)
    assert not default_storage.exists("videos/v/hls/video/cut.bin")


def test_an_object_cut_after_it_was_recorded_is_not_trusted_and_is_removed(tmp_path):
    storage.publish_file(key="videos/cache/x/piece.bin", path=_local(tmp_path, 4096))
    default_storage.delete("videos/cache/x/piece.bin")
    default_storage.save("videos/cache/x/piece.bin", ContentFile(b"cut"))
    assert storage.trusted("videos/cache/x/piece.bin") is False
    assert not default_storage.exists("videos/cache/x/piece.bin")
    assert not StoredObject.objects.filter(key="videos/cache/x/piece.bin").exists()


def test_an_object_nobody_recorded_is_not_trusted():
    default_storage.save("videos/cache/tts/abc.wav", ContentFile(b"RIFF left by a crash"))
    assert storage.trusted("videos/cache/tts/abc.wav") is False


def test_fetch_refuses_bytes_whose_hash_differs_from_the_record(tmp_path):
    storage.publish_bytes(key="videos/cache/mix/a.m4a", data=b"a" * 100)
    default_storage.delete("videos/cache/mix/a.m4a")
    default_storage.save("videos/cache/mix/a.m4a", ContentFile(b"b" * 100))  # same size, other bytes
    with pytest.raises(storage.IntegrityFailure, match="damaged"):
        storage.fetch("videos/cache/mix/a.m4a", tmp_path / "a.m4a")
    assert not (tmp_path / "a.m4a").exists() and not default_storage.exists("videos/cache/mix/a.m4a")


def test_a_read_only_storage_fails_the_publish_with_that_cause(failing, tmp_path):
    failing.read_only = True
    with pytest.raises(OSError, match="Read-only"):
        storage.publish_file(key="exports/1/a.zip", path=_local(tmp_path, 1024))


@pytest.mark.skipif(ON_S3, reason="ages objects through a local file's mtime; S3 sets LastModified itself")
def test_temporaries_of_dead_writers_are_swept_and_fresh_ones_kept(settings):
    old = default_storage.save(f"{storage.INCOMING}/dead-writer.mp4", ContentFile(b"x"))
    fresh = default_storage.save(f"{storage.INCOMING}/live-writer.mp4", ContentFile(b"x"))
    two_hours = (timezone.now() - timedelta(hours=2)).timestamp()
    import os

    os.utime(Path(settings.MEDIA_ROOT) / old, (two_hours, two_hours))
    assert storage.incoming_sweep(older_than=timedelta(hours=1)) == [old]
    assert default_storage.exists(fresh) and not default_storage.exists(old)


def test_a_deleted_tree_leaves_no_folder_and_spares_its_neighbours():
    for key in ("videos/7/hls/en/seg0.ts", "videos/7/hls/index.m3u8", "videos/7/video.mp4", "videos/8/video.mp4"):
        storage.publish_bytes(key=key, data=b"bytes")
    assert storage.delete_tree("videos/7") == 3
    assert default_storage.listdir("videos")[0] == ["8"]
    assert list(storage.walk("videos")) == ["videos/8/video.mp4"]
    assert list(StoredObject.objects.values_list("key", flat=True)) == ["videos/8/video.mp4"]
