"""Imports: a valid zip becomes the same project; every bad zip is a clear 4xx with nothing written."""

from __future__ import annotations

import copy
import stat
import struct
import zipfile
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import TemporaryUploadedFile

from assets.models import Asset, Blob
from assets.services import asset_ingest
from contentizer.api.errors import http_status
from contentizer.errors import ApplicationError
from contentizer.models import Chapter, Project, Step
from exports.importing import import_project, import_validate
from tests.conftest import left_behind
from tests.exports.builders import RENDER, Export, asset_record, sample_images, sha, step

NOTHING = {"media": [], "tmp": []}


def _stored_sha(blob: Blob) -> str:
    with default_storage.open(blob.storage_key) as fh:
        return sha(fh.read())


def test_a_valid_export_becomes_the_same_project_step_for_step_and_byte_for_byte(alice, zips, av_dir):
    wav = (av_dir / "tone.wav").read_bytes()
    assets = [*sample_images(), (wav, "wav", "audio", "audio/wav", "tone.wav")]
    paths = [asset_record(data, *meta)["path"] for data, *meta in assets]
    chapters = [
        {"title": "Intro", "slug": "01-intro", "render": RENDER,
         "subtitles": {"en": {"srt": "subtitles/01-intro/en.srt", "vtt": "subtitles/01-intro/en.vtt"}},
         "steps": [step("Click Save", paths[0], transition="dissolve", narration={"en": "Save.", "de": "Sichern."}),
                   step("Open the menu", paths[1], duration=2.5, transitionDuration=0.0),
                   step("Just words", None, transition="wipeleft")]},
        {"title": "Again / more", "slug": "02-again-more", "subtitles": {}, "render": None,
         "steps": [step("Same picture", paths[0]), step("Listen", paths[2], duration=1.5)]},
    ]
    export = Export(assets, chapters)
    project = import_project(owner=alice, source=export.write(zips / "ok.zip"))

    assert (project.owner, project.title, project.description) == (alice, "Getting started", "A tour.")
    got = [(c.title, [(s.caption, s.narration, s.duration, s.transition, s.transition_duration,
                       s.asset and f"assets/{s.asset.blob.sha256}.{s.asset.blob.ext}") for s in c.steps.all()])
           for c in project.chapters.all()]
    want = [(c["title"], [({"en": s["caption"]}, s["narration"], s["duration"], s["transition"],
                           s["transitionDuration"], s["asset"]) for s in c["steps"]]) for c in chapters]
    assert got == want
    assert sorted(a.original_name for a in project.assets.all()) == ["menu.jpg", "save.png", "tone.wav"]
    for path in paths:
        blob = Blob.objects.get(sha256=path[7:71])
        assert _stored_sha(blob) == sha(export.files[path]) == blob.sha256
    assert Blob.objects.count() == 3  # subtitles and the render are verified, not imported
    assert left_behind()["tmp"] == []


def test_importing_twice_makes_two_projects_sharing_the_blobs(alice, bob, zips, export):
    path = export.write(zips / "ok.zip")
    first, second = import_project(owner=alice, source=path), import_project(owner=bob, source=path)
    assert first.pk != second.pk and second.owner == bob
    assert Blob.objects.count() == 2 and Asset.objects.count() == 4
    assert Step.objects.filter(chapter__project=second).count() == 2


def _refused(call, status: int, code: str) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        call()
    error = caught.value
    assert (http_status(error), error.code) == (status, code), (http_status(error), error.code, error.message)
    assert error.message
    assert Project.objects.count() == Chapter.objects.count() == Step.objects.count() == 0
    assert Asset.objects.count() == Blob.objects.count() == 0
    assert left_behind() == NOTHING
    return error


def _import_refused(alice, path: Path, status: int, code: str) -> ApplicationError:
    return _refused(lambda: import_project(owner=alice, source=path), status, code)


def _symlink(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


@pytest.mark.parametrize("entry", [
    "assets/../../etc/passwd", "../evil.png", "/etc/passwd", "assets\\evil.png", "C:/evil.png", _symlink("assets/ln"),
], ids=["dotdot", "parent", "absolute", "backslash", "drive", "symlink"])
def test_unsafe_entries_are_refused(alice, zips, export, entry):
    error = _import_refused(alice, export.write(zips / "bad.zip", extra=[(entry, b"/etc/passwd")]), 400,
                            "unsafe_entry")
    assert error.details["entry"] == getattr(entry, "filename", entry)


def test_an_entry_name_with_a_nul_byte_is_refused(alice, zips, export):
    path = export.write(zips / "nul.zip", extra=[("assets/evilX.png", b"x")])
    path.write_bytes(path.read_bytes().replace(b"assets/evilX.png", b"assets/evil\x00.png"))
    assert "NUL" in _import_refused(alice, path, 400, "unsafe_entry").details["reason"]


def test_a_duplicate_entry_is_refused(alice, zips, export):
    path = export.write(zips / "dup.zip", extra=[(export.path(0), b"other bytes")])
    assert "twice" in str(_import_refused(alice, path, 400, "unsafe_entry").message)


def test_a_file_that_is_not_a_zip_is_refused(alice, zips):
    path = zips / "not.zip"
    path.write_bytes(b"PK\x03\x04 but nothing more" * 10)
    _import_refused(alice, path, 400, "invalid_zip")


def test_a_zip_bomb_is_refused_by_its_ratio(alice, zips):
    with zipfile.ZipFile(zips / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("assets/zeros.png", b"\x00" * 50 * 1024 * 1024)
    error = _import_refused(alice, zips / "bomb.zip", 413, "import_too_large")
    assert error.details["maxRatio"] == 200


def test_too_many_entries_are_refused(alice, zips, export, settings):
    settings.IMPORT_MAX_ENTRIES = 4
    error = _import_refused(alice, export.write(zips / "many.zip"), 413, "import_too_large")
    assert error.details == {"entries": 6, "maxEntries": 4}


def test_a_total_size_over_the_limit_is_refused(alice, zips, export, settings):
    settings.IMPORT_MAX_BYTES = 2000
    assert _import_refused(alice, export.write(zips / "big.zip"), 413, "import_too_large").details["maxBytes"] == 2000


def _patch_header(data: bytes, name: str, *, size: int | None = None, crc: int | None = None) -> bytes:
    """Rewrite an entry's uncompressed size and/or CRC-32 in its central directory and local headers."""
    buf, encoded, patched = bytearray(data), name.encode(), 0
    central, local = (b"PK\x01\x02", 16, 24, 28, 46), (b"PK\x03\x04", 14, 22, 26, 30)
    for signature, crc_at, size_at, length_at, name_at in (central, local):
        at = buf.find(signature)
        while at >= 0:
            (length,) = struct.unpack_from("<H", buf, at + length_at)
            if length == len(encoded) and buf[at + name_at:at + name_at + length] == encoded:
                if size is not None:
                    struct.pack_into("<I", buf, at + size_at, size)
                if crc is not None:
                    struct.pack_into("<I", buf, at + crc_at, crc)
                patched += 1
            at = buf.find(signature, at + 4)
    assert patched == 2
    return bytes(buf)


@pytest.mark.parametrize("delta", [-7, 7], ids=["real-longer", "real-shorter"])
def test_an_entry_whose_real_size_differs_from_its_header_is_refused(alice, zips, export, delta):
    name = export.path(0)
    export.container["files"][0]["size"] += delta  # container.json agrees with the lying header
    path = export.write(zips / "lie.zip")
    path.write_bytes(_patch_header(path.read_bytes(), name, size=len(export.files[name]) + delta))
    with zipfile.ZipFile(path) as zf:
        assert zf.getinfo(name).file_size == len(export.files[name]) + delta
    error = _import_refused(alice, path, 422, "size_mismatch")
    assert error.details["entry"] == name and "header" in str(error.message)


def test_a_deflated_entry_longer_than_its_header_is_refused(alice, zips, export):
    name = "subtitles/01-intro/en.srt"
    record = next(r for r in export.container["files"] if r["path"] == name)
    record["size"] -= 10
    path = export.write(zips / "lie.zip")
    path.write_bytes(_patch_header(path.read_bytes(), name, size=record["size"]))
    _import_refused(alice, path, 422, "size_mismatch")


def test_an_entry_whose_crc_differs_from_its_header_is_refused(alice, zips, export):
    path = export.write(zips / "crc.zip")
    path.write_bytes(_patch_header(path.read_bytes(), export.path(1), crc=12345))
    _import_refused(alice, path, 422, "checksum_mismatch")


def test_an_entry_whose_sha256_differs_from_container_json_is_refused(alice, zips, export):
    name = export.path(1)
    data = bytearray(export.files[name])
    data[-20] ^= 0xFF  # same size, other bytes: the zip's own CRC is right, container.json's sha256 is not
    export.files[name] = bytes(data)
    error = _import_refused(alice, export.write(zips / "sha.zip"), 422, "checksum_mismatch")
    assert error.details["entry"] == name and "container.json" in str(error.message)


def test_an_entry_whose_size_differs_from_container_json_is_refused(alice, zips, export):
    export.container["files"][2]["size"] += 1
    _import_refused(alice, export.write(zips / "size.zip"), 422, "size_mismatch")


def test_a_missing_container_json_is_refused(alice, zips, export):
    error = _import_refused(alice, export.write(zips / "none.zip", omit_container=True), 422, "invalid_container")
    assert error.details["field"] == "container.json"


@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe\x00garbage", b"[1, 2]", b""])
def test_an_unreadable_container_json_is_refused(alice, zips, export, content):
    _import_refused(alice, export.write(zips / "junk.zip", container=content), 422, "invalid_container")


@pytest.mark.parametrize(("change", "field"), [
    (lambda c: c.pop("project"), "(root)"),
    (lambda c: c["chapters"][0]["steps"][0].update(duration=-1), "chapters[0].steps[0].duration"),
    (lambda c: c["chapters"][0]["steps"][1].update(transition="spin"), "chapters[0].steps[1].transition"),
    (lambda c: c["chapters"][0].update(slug="../up"), "chapters[0].slug"),
    (lambda c: c["files"][0].update(path="etc/passwd"), "files[0].path"),
    (lambda c: c.update(extra=True), "(root)"),
    (lambda c: c.update(format="something-else"), "format"),
    # what the schema allows but the API would refuse
    (lambda c: c["chapters"][0]["steps"][0].update(narration={"../../x": "hi"}), "chapters[0].steps[0].narration"),
    (lambda c: c["chapters"][0]["steps"][0].update(transitionDuration=4.0),
     "chapters[0].steps[0].transitionDuration"),
    (lambda c: c["project"].update(title=""), "project.title"),
    # internal references
    (lambda c: c["chapters"][0]["steps"][0].update(asset="assets/" + "0" * 64 + ".png"), "chapters[0].steps[0].asset"),
    (lambda c: c["chapters"][0].update(render="renders/02-other.mp4"), "chapters[0].render"),
    (lambda c: c["files"].append(copy.deepcopy(c["files"][0])), "files[5].path"),
    (lambda c: c["files"][0].update(sha256="0" * 64), "files[0].path"),
], ids=["no-project", "duration", "transition", "slug", "file-path", "unknown-key", "format", "language",
        "transition-too-long", "blank-title", "asset-not-listed", "render-not-listed", "listed-twice", "asset-name"])
def test_an_invalid_container_is_refused_naming_the_field(alice, zips, export, change, field):
    change(export.container)
    error = _import_refused(alice, export.write(zips / "invalid.zip"), 422, "invalid_container")
    assert error.details["field"] == field and field in str(error.message)


def test_an_unknown_version_is_refused_before_the_schema(alice, zips, export):
    export.container.update(version=3, futureField={"anything": True})
    error = _import_refused(alice, export.write(zips / "v3.zip"), 422, "unsupported_version")
    assert error.details == {"version": "3", "supported": [1, 2]}


def test_an_unlisted_entry_is_refused(alice, zips, export):
    error = _import_refused(alice, export.write(zips / "extra.zip", extra=[("notes.txt", b"hello")]), 422,
                            "missing_entry")
    assert error.details == {"unlisted": ["notes.txt"]}


def test_a_listed_entry_missing_from_the_zip_is_refused(alice, zips, export):
    missing = export.path(1)
    del export.files[missing]
    error = _import_refused(alice, export.write(zips / "missing.zip"), 422, "missing_entry")
    assert error.details == {"missing": [missing]}


def test_validation_alone_returns_the_container_and_writes_nothing(zips, export, db):
    assert import_validate(export.write(zips / "ok.zip")) == export.container
    assert left_behind() == NOTHING and Blob.objects.count() == 0


def test_an_asset_the_ingest_refuses_undoes_the_whole_import(alice, zips, export):
    html = b"<!DOCTYPE html><html><body>not a picture</body></html>"
    bad = asset_record(html, "png", "image", "image/png", "page.png")
    export.container["files"].insert(2, bad)  # after both good images, which are stored first
    export.files[bad["path"]] = html
    export.container["chapters"][0]["steps"].append(step("Oops", bad["path"]))
    _import_refused(alice, export.write(zips / "html.zip"), 415, "unsupported_media_type")


def test_a_failed_import_keeps_blobs_it_did_not_create(alice, alice_project, zips, export):
    data = export.files[export.path(0)]
    upload = TemporaryUploadedFile("mine.png", "image/png", len(data), None)
    upload.write(data)
    upload.flush()
    existing = asset_ingest(project=alice_project, upload=upload).asset.blob
    html = b"<!DOCTYPE html><html></html>"
    export.container["files"].insert(2, asset_record(html, "png", "image", "image/png", "page.png"))
    export.files[export.container["files"][2]["path"]] = html
    with pytest.raises(ApplicationError):
        import_project(owner=alice, source=export.write(zips / "html.zip"))
    assert list(Blob.objects.all()) == [existing] and _stored_sha(existing) == existing.sha256
    assert Project.objects.count() == 1 and Asset.objects.count() == 1
    assert sorted(left_behind()["media"]) == sorted(filter(None, (existing.storage_key, existing.thumbnail_key)))
