"""Every bad upload gets a clear 4xx in the error shape and leaves nothing behind."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from assets.models import Asset, Blob
from tests import media
from tests.conftest import left_behind, raw_multipart_upload, upload_file

NOTHING = {"media": [], "tmp": []}


def _png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height, with one tiny compressed row: a pixel bomb."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = chunk(b"IDAT", zlib.compress(b"\x00" * 64))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + idat + chunk(b"IEND", b"")


def _many_frame_gif(frames: int) -> bytes:
    from PIL import Image

    images = [Image.new("RGB", (4, 4), (i % 256, i // 256, 0)) for i in range(frames)]
    buffer = io.BytesIO()
    images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:], duration=10)
    return buffer.getvalue()


def _assert_refused(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code and body["error"]["message"]
    assert left_behind() == NOTHING
    assert Blob.objects.count() == 0 and Asset.objects.count() == 0
    return body["error"]


UNSUPPORTED = [
    ("page.jpg", b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", "text/html"),
    ("logo.png", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>', "image/svg+xml"),
    ("bare.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>', "image/svg+xml"),
    ("tool.png", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200, "application/x-msdownload"),
    ("run.mp4", b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200, "application/x-executable"),
    ("video.mp4", b"#EXTM3U\n#EXT-X-VERSION:3\n#EXTINF:10,\nhttp://example.com/a.ts\n",
     "application/vnd.apple.mpegurl"),
    ("clip.mp4", b"ffconcat version 1.0\nfile '/etc/passwd'\n", "text/x-ffconcat"),
    ("clip.mov", b"file '/etc/passwd'\nfile 'other.mp4'\n", "text/x-ffconcat"),
    ("notes.srt", b"just some notes, not subtitles\n", "text/plain"),
    ("archive.png", b"PK\x03\x04" + b"\x00" * 100, "application/zip"),
]


@pytest.mark.parametrize(("name", "content", "detected"), UNSUPPORTED)
def test_it_refuses_unsupported_types_naming_the_detected_type(alice_api, alice_project, name, content, detected):
    error = _assert_refused(upload_file(alice_api, alice_project.id, name, content), 415, "unsupported_media_type")
    assert error["details"]["detected"] == detected
    assert detected in error["message"]


def test_it_refuses_a_matroska_file_named_mp4(alice_api, alice_project, tmp_path):
    path = media.make_av(tmp_path, "clip.mkv", [
        "-f", "lavfi", "-i", "testsrc2=size=64x64:rate=5:duration=1", "-c:v", "libx264", "-f", "matroska",
    ])
    error = _assert_refused(upload_file(alice_api, alice_project.id, "clip.mp4", path.read_bytes()), 415,
                            "unsupported_media_type")
    assert error["details"]["detected"] == "video/x-matroska"


INVALID = [
    ("truncated.jpg", lambda av_dir: media.image_bytes("JPEG", size=(800, 600))[:600]),
    ("garbage.png", lambda av_dir: b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8),
    ("bomb.png", lambda av_dir: _png_header(30000, 30000)),
    ("sliver.png", lambda av_dir: _png_header(100000, 10)),
    ("frames.gif", lambda av_dir: _many_frame_gif(600)),
    ("noindex.mp4", lambda av_dir: (av_dir / "clip.mp4").read_bytes()[:3000]),
    ("half.wav", lambda av_dir: (av_dir / "tone.wav").read_bytes()[:40]),
    ("broken.srt", lambda av_dir: b"1\n00:00:00,000 --> 00:00:02,000\nok\n\n2\n99:99 --> nonsense\n"),
    ("latin1.vtt", lambda av_dir: "WEBVTT\n\n00:00.000 --> 00:01.000\ncaf\xe9\n".encode("latin-1")),
]


@pytest.mark.parametrize(("name", "make"), INVALID, ids=[name for name, _ in INVALID])
def test_it_refuses_media_that_does_not_decode_or_breaks_limits(alice_api, alice_project, av_dir, name, make):
    _assert_refused(upload_file(alice_api, alice_project.id, name, make(av_dir)), 422, "invalid_media")


def test_it_refuses_a_video_with_too_many_streams(alice_api, alice_project, tmp_path, settings):
    settings.ASSET_MAX_STREAMS = 3
    args = []
    for _ in range(5):
        args += ["-f", "lavfi", "-i", "sine=duration=1"]
    args += ["-f", "lavfi", "-i", "testsrc2=size=64x64:rate=5:duration=1"]
    args += [arg for i in range(6) for arg in ("-map", str(i))]
    path = media.make_av(tmp_path, "streams.mp4", [*args, "-c:v", "libx264", "-c:a", "aac"])
    error = _assert_refused(upload_file(alice_api, alice_project.id, "streams.mp4", path.read_bytes()), 422,
                            "invalid_media")
    assert "6 streams" in error["message"]


def test_it_refuses_media_longer_than_the_limit(alice_api, alice_project, av_dir, settings):
    settings.ASSET_MAX_DURATION_SECONDS = 0.5
    error = _assert_refused(upload_file(alice_api, alice_project.id, "tone.mp3", (av_dir / "tone.mp3").read_bytes()),
                            422, "invalid_media")
    assert "at most 0s" in error["message"] or "at most 1s" in error["message"]


def test_it_refuses_an_empty_file(alice_api, alice_project):
    _assert_refused(upload_file(alice_api, alice_project.id, "empty.png", b""), 400, "empty_file")


def test_it_refuses_a_request_without_the_file_field(alice_api, alice_project):
    response = alice_api.post(f"/api/projects/{alice_project.id}/assets", {"other": "x"}, format="multipart")
    _assert_refused(response, 400, "missing_file")


def test_it_refuses_unknown_form_fields(alice_api, alice_project):
    response = alice_api.post(
        f"/api/projects/{alice_project.id}/assets",
        {"file": io.BytesIO(media.image_bytes("PNG")), "owner": "bob"}, format="multipart",
    )
    _assert_refused(response, 400, "validation_error")


@pytest.mark.parametrize("name", ["../../etc/passwd.png", "..\\..\\boot.png", "a\x00b.png"])
def test_it_refuses_file_names_with_paths_or_nul(alice_api, alice_project, name):
    _assert_refused(raw_multipart_upload(alice_api, alice_project.id, name, media.image_bytes("PNG")), 400,
                    "unsafe_file_name")


def test_it_refuses_a_file_over_its_kind_limit(alice_api, alice_project, settings):
    settings.ASSET_MAX_BYTES = {**settings.ASSET_MAX_BYTES, "image": 1000}
    content = media.image_bytes("PNG", size=(900, 900))
    error = _assert_refused(upload_file(alice_api, alice_project.id, "a.png", content), 413, "payload_too_large")
    assert error["details"]["kind"] == "image" and error["details"]["maxBytes"] == 1000


def test_it_stops_reading_a_body_past_the_largest_limit(alice_api, alice_project, settings):
    settings.ASSET_MAX_BYTES = {"image": 10_000, "audio": 10_000, "video": 10_000, "subtitle": 10_000}
    # Content-Length within bounds (multipart headroom), the file itself over the limit:
    # the handler stops while streaming.
    error = _assert_refused(upload_file(alice_api, alice_project.id, "a.png", b"\x89PNG" + b"\x00" * 30_000),
                            413, "payload_too_large")
    assert error["details"]["maxBytes"] == 10_000


def test_it_refuses_a_declared_content_length_over_the_limit_before_reading(alice_project, alice, settings):
    settings.ASSET_MAX_BYTES = {"image": 10_000, "audio": 10_000, "video": 10_000, "subtitle": 10_000}
    client = APIClient()
    client.force_authenticate(alice)
    body = b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\nxx\r\n--b--\r\n"
    response = client.generic(
        "POST", f"/api/projects/{alice_project.id}/assets", body,
        content_type="multipart/form-data; boundary=b", CONTENT_LENGTH=str(50 * 1024 * 1024),
    )
    _assert_refused(response, 413, "payload_too_large")


def test_it_refuses_more_than_one_file_part(alice_api, alice_project):
    response = alice_api.post(
        f"/api/projects/{alice_project.id}/assets",
        {"file": [SimpleUploadedFile("a.png", media.image_bytes("PNG")),
                  SimpleUploadedFile("b.png", media.image_bytes("PNG", color=(1, 2, 3)))]},
        format="multipart",
    )
    _assert_refused(response, 400, "bad_request")


def test_it_refuses_a_malformed_multipart_body(alice_api, alice_project):
    response = alice_api.generic(
        "POST", f"/api/projects/{alice_project.id}/assets", b"--b\r\nContent-Disposition: form-data; name=",
        content_type="multipart/form-data; boundary=b",
    )
    assert response.status_code == 400
    assert left_behind() == NOTHING


def test_it_refuses_an_mp3_whose_id3_tag_hides_a_concat_script(alice_api, alice_project, av_dir):
    script = b"ffconcat version 1.0\nfile 'other.wav'\n"
    tag = b"ID3\x04\x00\x00\x00\x00\x00\x0a" + b"\x00" * 10  # a 10-byte tag, then the script
    content = tag + script + (av_dir / "tone.mp3").read_bytes()
    error = _assert_refused(upload_file(alice_api, alice_project.id, "song.mp3", content), 415,
                            "unsupported_media_type")
    assert error["details"]["detected"] == "text/x-ffconcat"


@pytest.mark.parametrize("name", ["clip.mp4", "clip.webm", "tone.flac"])
def test_it_refuses_truncated_media_whose_header_promises_more(alice_api, alice_project, av_dir, name):
    content = (av_dir / name).read_bytes()
    cut = content[: len(content) * 2 // 5]
    error = _assert_refused(upload_file(alice_api, alice_project.id, name, cut), 422, "invalid_media")
    assert "truncated" in error["message"] or "damaged" in error["message"] or "decod" in error["message"]


def test_it_refuses_a_gif_damaged_after_its_first_frame(alice_api, alice_project):
    from PIL import Image

    frames = [Image.new("RGB", (16, 16), (i * 20, 0, 0)) for i in range(10)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=50)
    data = buffer.getvalue()
    second = data.index(b"\x2c", data.index(b"\x2c") + 1)  # the second image descriptor
    _assert_refused(upload_file(alice_api, alice_project.id, "anim.gif", data[: second + 3]), 422, "invalid_media")


def test_it_refuses_subtitles_that_run_backwards_or_past_the_limit(alice_api, alice_project):
    backwards = b"1\n00:00:05,000 --> 00:00:01,000\nHi\n"
    endless = b"1\n00:00:00,000 --> 99:00:00,000\nHi\n"
    _assert_refused(upload_file(alice_api, alice_project.id, "a.srt", backwards), 422, "invalid_media")
    _assert_refused(upload_file(alice_api, alice_project.id, "b.srt", endless), 422, "invalid_media")


@pytest.mark.parametrize(("name", "make"), INVALID, ids=[name for name, _ in INVALID])
def test_a_422_names_the_problem_and_never_a_server_path(alice_api, alice_project, av_dir, name, make, settings):
    response = upload_file(alice_api, alice_project.id, name, make(av_dir))
    assert response.status_code == 422
    message = response.json()["error"]["message"]
    assert message.strip(". ") and ".upload" not in message
    for secret in (str(settings.FILE_UPLOAD_TEMP_DIR), str(settings.DATA_DIR), "/tmp/"):
        assert secret not in message, message
