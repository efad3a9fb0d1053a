"""What the product accepts, it renders (issue 17.11 and 17.12): any narration text, animated
pictures, audio at any sample rate, a one-frame clip; and what it refuses, it refuses for the real
reason. Real uploads, a real worker and FFmpeg, the outputs probed."""

from __future__ import annotations

import io
import struct
import wave
import zlib

import av
import pytest
from PIL import Image

from contentizer.jobs.models import Job
from tests import media
from tests.conftest import upload_file
from tests.previews.helpers import BLUE, GREEN, RED, chapter_with_steps, download, post_preview, upload, wait_finished

pytestmark = pytest.mark.django_db(transaction=True)

TRICKY = "Open File --> Save As. Press <Enter> & type {\\b1}name."


def _video(api, project_id: int, chapter_id: int, tmp_path, **extra):
    from tests.previews.test_videos import _generate, _wait

    accepted = _generate(api, project_id, chapter_id, resolution="480p", **extra)
    status = _wait(api, accepted["jobId"])
    assert status["status"] == "succeeded", status
    assert status["attempts"] == 1
    video = api.get(f"/api/videos/{accepted['videoId']}").json()
    path = tmp_path / "video.mp4"
    path.write_bytes(download(api, video["urls"]["download"]))
    return video, path


def _subtitle_text(path) -> str:
    """The MP4's first subtitle track as its decoder gives it (ASS events: the text after the
    ninth comma, `\\N` a line break)."""
    with av.open(str(path)) as container:
        stream = container.streams.subtitles[0]
        events = [sub.ass.decode().split(",", 8)[8] for packet in container.demux(stream) for sub in packet.decode()]
    return " ".join(events).replace("\\N", " ")


def test_narration_with_an_arrow_tags_and_braces_renders_its_subtitles_as_written(
        alice_api, alice_project, worker, tmp_path):
    chapter = chapter_with_steps(alice_api, alice_project.id, [
        {"caption": "Save", "duration": 1.0, "narration": {"en": TRICKY}}])
    video, path = _video(alice_api, alice_project.id, chapter["id"], tmp_path)
    vtt = download(alice_api, video["urls"]["hls"].rsplit("/", 1)[0] + "/subs_en/subtitles.vtt").decode()
    # WebVTT escapes: the arrow cannot end the cue, "<Enter>" is not a tag; a browser shows the text as typed
    assert "--&gt; Save As" in vtt and "&lt;Enter&gt; &amp;" in vtt and "-->" not in vtt.split("\n", 4)[4]
    # the MP4's own subtitle track (from the SRT) carries every character a viewer must see
    shown = _subtitle_text(path).replace("\u200b", "")
    for part in ("Open File --> Save As.", "<Enter>", "& type", "{\\b1}name."):
        assert part in shown, shown


def _animated(fmt: str) -> bytes:
    frames = [Image.new("RGB", (320, 180), colour) for colour in (RED, BLUE, GREEN) * 20]
    buffer = io.BytesIO()
    frames[0].save(buffer, format=fmt, save_all=True, append_images=frames[1:], duration=40, loop=0)
    return buffer.getvalue()


def _mean_colour(path, seconds: float) -> tuple[int, int, int]:
    with av.open(str(path)) as container:
        for frame in container.decode(container.streams.video[0]):
            if frame.time >= seconds:
                pixels = frame.to_ndarray(format="rgb24").reshape(-1, 3)
                return tuple(int(v) for v in pixels.mean(axis=0))
    raise AssertionError(f"no frame at {seconds}s")


@pytest.mark.parametrize("fmt", ["GIF", "WEBP"])
def test_an_animated_picture_renders_its_first_frame_for_its_whole_step(
        alice_api, alice_project, worker, tmp_path, fmt):
    animated = upload(alice_api, alice_project.id, f"moving.{fmt.lower()}", _animated(fmt))
    still = upload(alice_api, alice_project.id, "green.png", media.image_bytes("PNG", (320, 180), GREEN))
    chapter = chapter_with_steps(alice_api, alice_project.id, [
        {"caption": "", "asset": animated["id"], "duration": 1.5, "transition": "crossfade", "transitionDuration": 0.4},
        {"caption": "", "asset": still["id"], "duration": 1.0}])
    video, path = _video(alice_api, alice_project.id, chapter["id"], tmp_path)
    with av.open(str(path)) as container:
        frames = sum(1 for _ in container.decode(container.streams.video[0]))
    assert frames == round(video["duration"] * 30)
    for seconds in (0.1, 0.5, 1.0):  # the first frame (red) held, never the blue or green frames after it
        red, green, blue = _mean_colour(path, seconds)
        assert red > 150 and green < 80 and blue < 80, (seconds, (red, green, blue))
    preview = post_preview(alice_api, alice_project.id, {"chapterId": chapter["id"]}).json()
    status = wait_finished(alice_api, preview["jobId"], timeout=120)
    assert status["status"] == "succeeded" and status["attempts"] == 1, status


def _wav(rate: int, seconds: float = 1.0) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        samples = max(1, round(rate * seconds))
        out.writeframes(b"".join(struct.pack("<h", 8000 if (n // max(1, rate // 400)) % 2 else -8000)
                                 for n in range(samples)))
    return buffer.getvalue()


@pytest.mark.parametrize(("rate", "track_rate"), [(7, 8000), (1000, 8000), (192000, 48000)])
def test_narration_audio_at_any_sample_rate_previews_and_renders(
        alice_api, alice_project, worker, tmp_path, rate, track_rate):
    voice = upload(alice_api, alice_project.id, f"voice-{rate}.wav", _wav(rate))
    chapter = chapter_with_steps(alice_api, alice_project.id, [
        {"caption": "Listen", "asset": voice["id"], "duration": 1.5}])
    preview = post_preview(alice_api, alice_project.id, {"chapterId": chapter["id"]}).json()
    status = wait_finished(alice_api, preview["jobId"], timeout=120)
    assert status["status"] == "succeeded" and status["attempts"] == 1, status
    _, path = _video(alice_api, alice_project.id, chapter["id"], tmp_path)
    with av.open(str(path)) as container:
        assert [s.codec_context.sample_rate for s in container.streams.audio] == [track_rate]


def test_a_one_frame_h264_clip_is_accepted_and_renders(alice_api, alice_project, worker, tmp_path):
    clip = media.make_av(tmp_path, "one.mp4", [
        "-f", "lavfi", "-i", "color=c=red:size=320x240:rate=25", "-frames:v", "1",
        "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart"])
    response = upload_file(alice_api, alice_project.id, "one.mp4", clip.read_bytes())
    assert response.status_code == 201, response.json()
    chapter = chapter_with_steps(alice_api, alice_project.id, [
        {"caption": "", "asset": response.json()["id"], "duration": 1.0}])
    _, path = _video(alice_api, alice_project.id, chapter["id"], tmp_path)
    red, green, blue = _mean_colour(path, 0.9)  # the one frame is held for the step
    assert red > 150 and green < 80 and blue < 80


def _png_header(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = chunk(b"IDAT", zlib.compress(b"\x00" * 64))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + idat + chunk(b"IEND", b"")


def test_a_png_over_the_pixel_limit_is_refused_for_its_size_not_as_damaged(alice_api, alice_project):
    response = upload_file(alice_api, alice_project.id, "huge.png", _png_header(12000, 12000))
    assert response.status_code == 422, response.json()
    error = response.json()["error"]
    assert "144000000 pixels" in error["message"] and "damaged" not in error["message"], error
    assert error["details"]["maxPixels"] == 50_000_000
    assert not Job.objects.exists()
