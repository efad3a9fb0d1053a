"""Previews and videos through the one render path, end to end: HTTP, a worker, real FFmpeg, and
the outputs probed, decoded and compared."""

from __future__ import annotations

import hashlib
import io

import av
import numpy as np
import pytest
from django.conf import settings

from contentizer import transitions
from contentizer.jobs.models import Job
from tests import media
from tests.conftest import wait_for
from tests.previews.helpers import BLUE, GREEN, RED, chapter_with_steps, download, post_preview, upload, wait_finished

pytestmark = pytest.mark.django_db(transaction=True)
CARD = (31, 45, 61)  # the title card behind a step whose asset is audio


def _generate(api, project_id: int, chapter_id: int, **extra) -> dict:
    response = api.post("/api/videos/generate", {"projectId": project_id, "chapterId": chapter_id, **extra},
                        format="json")
    assert response.status_code == 202, response.json()
    return response.json()


def _wait_video(api, job_id: str, timeout: float = 180) -> dict:
    def done():
        status = api.get(f"/api/videos/jobs/{job_id}/status").json()
        return status if status["status"] not in ("queued", "running") else None

    return wait_for(done, timeout=timeout, interval=0.3)


def _video_mp4(api, accepted: dict) -> bytes:
    status = _wait_video(api, accepted["jobId"])
    assert status["status"] == "succeeded", status
    return download(api, api.get(f"/api/videos/{accepted['videoId']}").json()["urls"]["download"])


def _preview_mp4(api, project_id: int, request: dict) -> bytes:
    accepted = post_preview(api, project_id, request)
    assert accepted.status_code == 202, accepted.json()
    status = wait_finished(api, accepted.json()["jobId"])
    assert status["status"] == "succeeded", status
    return download(api, status["artifactUrl"])


def _colours(mp4: bytes) -> list[tuple[int, int, int]]:
    """The mean colour of the centre of every frame."""
    with av.open(io.BytesIO(mp4)) as container:
        out = []
        for frame in container.decode(container.streams.video[0]):
            pixels = frame.to_ndarray(format="rgb24")
            h, w, _ = pixels.shape
            out.append(tuple(int(v) for v in pixels[h // 3: h // 2, w // 3: 2 * w // 3].reshape(-1, 3).mean(axis=0)))
        return out


def _first(colours: list, colour: tuple[int, int, int]) -> int:
    return next(i for i, c in enumerate(colours) if all(abs(a - b) <= 30 for a, b in zip(c, colour, strict=True)))


def _rms(mp4: bytes, start: float, end: float) -> float:
    with av.open(io.BytesIO(mp4)) as container:
        samples = [f.to_ndarray() for f in container.decode(container.streams.audio[0]) if start <= f.time < end]
    return float(np.sqrt(np.mean(np.concatenate(samples, axis=1) ** 2)))


def _frames_and_seconds(mp4: bytes) -> tuple[int, float]:
    with av.open(io.BytesIO(mp4)) as container:
        return sum(1 for _ in container.decode(container.streams.video[0])), container.duration / 1e6


def test_a_preview_and_a_video_of_a_chapter_agree_on_starts_duration_and_sound(
    alice_api, alice_project, worker, av_dir
):
    red = upload(alice_api, alice_project.id, "red.png", media.image_bytes("PNG", (1280, 720), RED))
    voice = upload(alice_api, alice_project.id, "voice.wav", (av_dir / "tone.wav").read_bytes())
    green = upload(alice_api, alice_project.id, "green.png", media.image_bytes("PNG", (1280, 720), GREEN))
    chapter = chapter_with_steps(alice_api, alice_project.id, [
        {"caption": "", "asset": red["id"], "duration": 2, "transition": "cut"},
        {"caption": "", "asset": voice["id"], "duration": 2, "transition": "cut"},  # an audio step: narrated
        {"caption": "", "asset": green["id"], "duration": 2},
    ])
    preview = _preview_mp4(alice_api, alice_project.id, {"chapterId": chapter["id"], "resolution": "720p"})
    video = _video_mp4(alice_api, _generate(alice_api, alice_project.id, chapter["id"]))

    assert _frames_and_seconds(preview)[0] == _frames_and_seconds(video)[0] == 180
    assert abs(_frames_and_seconds(preview)[1] - 6.0) < 0.04 and abs(_frames_and_seconds(video)[1] - 6.0) < 0.04
    for mp4 in (preview, video):
        colours = _colours(mp4)
        assert (_first(colours, RED), _first(colours, CARD), _first(colours, GREEN)) == (0, 60, 120)
        silent, spoken, after = _rms(mp4, 0.2, 1.8), _rms(mp4, 2.1, 2.9), _rms(mp4, 4.2, 5.8)
        assert spoken > 0.05 and silent < 0.001 and after < 0.001, (silent, spoken, after)


def test_a_video_of_png_jpeg_and_video_steps_joins_into_one_stream_with_true_colours(
    alice_api, alice_project, worker, av_dir
):
    # an RGB PNG, a full-range JPEG and a limited-range video clip: each piece is encoded on its
    # own, and all must share one stream header to be joined (and show their colours as they are)
    red = upload(alice_api, alice_project.id, "red.png", media.image_bytes("PNG", (640, 360), RED))
    blue = upload(alice_api, alice_project.id, "blue.jpg", media.image_bytes("JPEG", (640, 360), BLUE))
    clip = upload(alice_api, alice_project.id, "clip.mp4", (av_dir / "clip.mp4").read_bytes())
    green = upload(alice_api, alice_project.id, "green.jpg", media.image_bytes("JPEG", (640, 360), GREEN))
    chapter = chapter_with_steps(alice_api, alice_project.id, [
        {"caption": "", "asset": red["id"], "duration": 1, "transition": "crossfade", "transitionDuration": 0.2},
        {"caption": "", "asset": blue["id"], "duration": 1, "transition": "cut"},
        {"caption": "", "asset": clip["id"], "duration": 1, "transition": "cut"},
        {"caption": "", "asset": green["id"], "duration": 1},
    ])
    video = _video_mp4(alice_api, _generate(alice_api, alice_project.id, chapter["id"], resolution="480p"))
    assert _frames_and_seconds(video)[0] == round(3.8 * 30)
    colours = _colours(video)
    for frame, colour in ((10, RED), (40, BLUE), (100, GREEN)):
        assert all(abs(a - b) <= 12 for a, b in zip(colours[frame], colour, strict=True)), (frame, colours[frame])


def test_the_same_image_in_consecutive_steps_renders_with_every_transition(alice_api, alice_project, worker):
    image = upload(alice_api, alice_project.id, "same.png", media.image_bytes("PNG", (640, 360), BLUE))
    names = transitions.names()
    steps = [{"caption": f"Step {i}", "asset": image["id"], "duration": 1.0, "transition": name,
              "transitionDuration": 0.3} for i, name in enumerate([*names, "cut"])]
    chapter = chapter_with_steps(alice_api, alice_project.id, steps)
    expected = round((len(steps) - 0.3 * (len(names) - 1)) * 30)  # every transition but `cut` overlaps 0.3 s
    preview = _preview_mp4(alice_api, alice_project.id, {"chapterId": chapter["id"]})
    video = _video_mp4(alice_api, _generate(alice_api, alice_project.id, chapter["id"], resolution="480p"))
    assert _frames_and_seconds(preview)[0] == expected
    assert _frames_and_seconds(video)[0] == expected


@pytest.mark.parametrize(("aspect", "size"), [("9:16", (480, 854)), ("1:1", (480, 480))])
def test_portrait_and_square_previews_keep_the_caption_inside_the_frame(alice_api, alice_project, worker, aspect, size):
    picture = upload(alice_api, alice_project.id, "blue.png", media.image_bytes("PNG", size, BLUE))
    caption = "Tap the share button at the top of the screen, then choose who can see this video " * 2
    mp4 = _preview_mp4(alice_api, alice_project.id, {
        "aspect": aspect, "steps": [{"caption": caption, "asset": str(picture["id"]), "duration": 1}]})
    with av.open(io.BytesIO(mp4)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == size
        pixels = next(container.decode(stream)).to_ndarray(format="rgb24").astype(int)
    width, height = size
    box = (pixels.sum(axis=2) < 200)  # the caption's dark box over the blue picture
    text = (pixels.min(axis=2) > 200)  # white letters
    ys, xs = np.nonzero(box)
    assert xs.min() >= 0.04 * width and xs.max() <= 0.96 * width, "inside the side margins"
    assert ys.max() <= height * (0.89 if aspect == "9:16" else 0.96), "above the bottom margin"
    ty, tx = np.nonzero(text)
    assert len(tx) > 200, "the caption's letters are drawn"
    assert tx.min() >= xs.min() and tx.max() <= xs.max() and ty.min() >= ys.min() and ty.max() <= ys.max()
    outside = pixels[:, : int(0.03 * width)].reshape(-1, 3).mean(axis=0)
    assert abs(outside[2] - BLUE[2]) < 30, "the margins show the picture"


def test_a_portrait_video_probes_to_its_size_in_mp4_and_hls(alice_api, alice_project, worker):
    image = upload(alice_api, alice_project.id, "tall.png", media.image_bytes("PNG", (360, 640), GREEN))
    chapter = chapter_with_steps(alice_api, alice_project.id, [
        {"caption": "A caption long enough to wrap over several lines in portrait", "asset": image["id"],
         "duration": 1.0, "transition": "cut"}])
    accepted = _generate(alice_api, alice_project.id, chapter["id"], resolution="480p", aspect="9:16")
    with av.open(io.BytesIO(_video_mp4(alice_api, accepted))) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (480, 854)
    video = alice_api.get(f"/api/videos/{accepted['videoId']}").json()
    assert video["aspect"] == "9:16" and video["resolution"] == "480p"
    master = download(alice_api, video["urls"]["hls"]).decode()
    assert "RESOLUTION=480x854" in master


def _first_pts(data: bytes) -> float:
    with av.open(io.BytesIO(data), format="mpegts") as container:
        stream = container.streams[0]
        packet = next(p for p in container.demux(stream) if p.pts is not None)
        return float(packet.pts * stream.time_base)


def test_hls_audio_and_video_start_within_one_frame(alice_api, alice_project, worker):
    image = upload(alice_api, alice_project.id, "red.png", media.image_bytes("PNG", (640, 360), RED))
    chapter = chapter_with_steps(alice_api, alice_project.id, [
        {"caption": "One", "asset": image["id"], "duration": 1.5, "narration": {"en": "Hello there."}},
        {"caption": "Two", "duration": 1.5, "narration": {"en": "Goodbye."}}])
    accepted = _generate(alice_api, alice_project.id, chapter["id"], resolution="480p")
    assert _wait_video(alice_api, accepted["jobId"])["status"] == "succeeded"
    base = f"/api/videos/{accepted['videoId']}/hls"
    video = _first_pts(download(alice_api, f"{base}/video/seg000.ts"))
    audio = _first_pts(download(alice_api, f"{base}/audio_en/seg000.ts"))
    assert abs(video - audio) <= 1 / 30, (video, audio)


def _damaged_asset(project_id: int) -> int:
    """A stored, whole JPEG that FFmpeg cannot decode, as if an older, laxer upload check had let it
    in: its bytes are exactly what its Blob row records, so only the decoder can refuse it."""
    from assets.hashing import blob_key
    from assets.models import Asset, Blob
    from contentizer.storage import publish_bytes

    data = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8  # a JPEG header, then nothing decodable
    sha256 = hashlib.sha256(data).hexdigest()
    publish_bytes(key=blob_key(sha256, "jpg"), data=data)
    blob = Blob.objects.create(sha256=sha256, kind="image", mime="image/jpeg", ext="jpg", size=len(data),
                               width=640, height=360, storage_key=blob_key(sha256, "jpg"))
    return Asset.objects.create(project_id=project_id, blob=blob, original_name="x.jpg").pk


def test_a_deterministic_ffmpeg_failure_fails_a_preview_at_once_naming_the_step(alice_api, alice_project, worker):
    accepted = post_preview(alice_api, alice_project.id, {"steps": [
        {"caption": "fine", "duration": 1},
        {"caption": "damaged", "asset": str(_damaged_asset(alice_project.id)), "duration": 1}]})
    status = wait_finished(alice_api, accepted.json()["jobId"])
    assert status["status"] == "failed" and status["attempts"] == 1, status
    assert "step 2" in status["error"] and "damaged" in status["error"]
    assert settings.MEDIA_ROOT not in status["error"] and "/work/" not in status["error"]


def test_a_deterministic_ffmpeg_failure_fails_a_video_at_once_naming_the_step(alice_api, alice_project, worker):
    chapter = chapter_with_steps(alice_api, alice_project.id, [
        {"caption": "fine", "duration": 1}, {"caption": "damaged", "asset": _damaged_asset(alice_project.id),
                                             "duration": 1}])
    status = _wait_video(alice_api, _generate(alice_api, alice_project.id, chapter["id"], resolution="480p")["jobId"])
    assert status["status"] == "failed" and status["attempts"] == 1, status
    render = next(s for s in status["stages"] if s["stage"] == "render")
    assert render["status"] == "failed" and "step 2 (id" in render["error"] and "damaged" in render["error"]
    assert Job.objects.get(pk=status["id"]).attempt_set.count() == 1


def test_a_long_preview_renders_in_chunks_and_an_edit_re_renders_one(alice_api, alice_project, workers):
    workers.start(RENDER_CHUNK_SCENES="3")
    steps = [{"caption": f"Slide {i}", "duration": 0.6, "transition": "crossfade", "transitionDuration": 0.2}
             for i in range(8)]
    first = post_preview(alice_api, alice_project.id, {"steps": steps}).json()
    assert wait_finished(alice_api, first["jobId"])["status"] == "succeeded"
    steps[1]["caption"] = "Slide one, edited"
    second = post_preview(alice_api, alice_project.id, {"steps": steps}).json()
    assert wait_finished(alice_api, second["jobId"])["status"] == "succeeded"
    pieces = [Job.objects.get(pk=job["jobId"]).result["pieces"] for job in (first, second)]
    assert pieces == [{"rendered": 3, "reused": 0}, {"rendered": 1, "reused": 2}]
    frames, seconds = _frames_and_seconds(download(alice_api, second["artifactUrl"]))
    assert frames == round((8 * 0.6 - 7 * 0.2) * 30) and abs(seconds - (8 * 0.6 - 7 * 0.2)) < 0.04
