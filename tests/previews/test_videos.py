"""Full video generation end to end: a worker, real speech, FFmpeg, and probing every output."""

from __future__ import annotations

import io
import itertools
import json
import re
from pathlib import Path

import av
import m3u8
import pytest
import webvtt
from django.core.files.storage import default_storage
from django.utils import timezone

from contentizer.jobs.models import Job, StageRun
from contentizer.media import ffmpeg
from previews.models import Segment, Video
from tests import media
from tests.conftest import stored_keys, wait_for
from tests.previews.helpers import BLUE, GREEN, RED, chapter_with_steps, download, upload

pytestmark = pytest.mark.django_db(transaction=True)
FAST_BEAT = {"JOB_HEARTBEAT_SECONDS": "0.3"}


def _bilingual_chapter(api, project_id: int, *, transition: str = "dissolve") -> dict:
    assets = [upload(api, project_id, f"{n}.png", media.image_bytes("PNG", (960, 540), colour))
              for n, colour in (("red", RED), ("blue", BLUE), ("green", GREEN))]
    texts = [("Open the settings menu.", "Öffnen Sie das Einstellungsmenü."),
             ("Choose a language.", "Wählen Sie eine Sprache."),
             ("", "")]
    return chapter_with_steps(api, project_id, [
        {"caption": {"en": f"Step {i + 1}", "de": f"Schritt {i + 1}"}, "asset": asset["id"], "duration": 1.5,
         "transition": transition,
         "transitionDuration": 0.4, "narration": {k: v for k, v in (("en", en), ("de", de)) if v}}
        for i, (asset, (en, de)) in enumerate(zip(assets, texts, strict=True))
    ])


def _generate(api, project_id: int, chapter_id: int, **extra) -> dict:
    response = api.post("/api/videos/generate", {"projectId": project_id, "chapterId": chapter_id, **extra},
                        format="json")
    assert response.status_code == 202, response.json()
    return response.json()


def _wait(api, job_id: str, timeout: float = 180) -> dict:
    def done():
        status = api.get(f"/api/videos/jobs/{job_id}/status").json()
        return status if status["status"] not in ("queued", "running") else None

    return wait_for(done, timeout=timeout, interval=0.3)


def _loudness(path: Path, stream: str) -> float:
    log = path.with_suffix(f".{stream.replace(':', '')}.log")
    ffmpeg.run(["-i", str(path), "-map", stream, "-af", "ebur128", "-f", "null", "-"], timeout=120,
               log_path=str(log))
    return float(re.findall(r"I:\s+(-?[\d.]+) LUFS", log.read_text())[-1])


def test_a_two_language_narrated_video_end_to_end(alice_api, alice_project, worker, tmp_path):
    chapter = _bilingual_chapter(alice_api, alice_project.id)
    accepted = _generate(alice_api, alice_project.id, chapter["id"], languages=["en", "de"])
    status = _wait(alice_api, accepted["jobId"])
    assert status["status"] == "succeeded", [(s["stage"], s["error"]) for s in status["stages"]]
    assert [(s["stage"], s["status"]) for s in status["stages"]] == [
        ("plan", "succeeded"), ("narrate", "succeeded"), ("captions", "succeeded"), ("render", "succeeded"),
        ("package", "succeeded")]
    assert all(s["duration"] is not None for s in status["stages"]) and status["percent"] == 100

    video = alice_api.get(f"/api/videos/{accepted['videoId']}").json()
    assert video["subtitleLanguages"] == ["en", "de"] and video["renditions"]["audio"] == ["en", "de"]
    pictures = video["urls"]["pictures"]
    assert pictures["en"]["download"] == video["urls"]["download"] and pictures["en"]["hls"] == video["urls"]["hls"]
    assert pictures["de"]["download"].endswith("/download?language=de")
    row = Video.objects.get(pk=accepted["videoId"])
    durations = {}
    # each language has its own MP4: its picture timed to its own narration, its own track, and every
    # language's subtitles timed to it (its own first)
    for lang, tags in (("en", ["eng", "deu"]), ("de", ["deu", "eng"])):
        response = alice_api.get(pictures[lang]["download"])
        assert response["Content-Disposition"].startswith("attachment")
        mp4 = tmp_path / f"video-{lang}.mp4"
        mp4.write_bytes(b"".join(response.streaming_content))
        with av.open(str(mp4)) as container:
            kinds = [s.type for s in container.streams]
            assert kinds.count("video") == 1 and kinds.count("audio") == 1 and kinds.count("subtitle") == 2
            assert [s.metadata.get("language") for s in container.streams.audio] == tags[:1]
            assert [s.metadata.get("language") for s in container.streams.subtitles] == tags
            durations[lang] = container.duration / 1e6
            frames = sum(1 for _ in container.decode(container.streams.video[0]))  # decodes to its end
        assert abs(durations[lang] - row.picture(lang)["duration"]) < 0.1
        assert frames == round(row.picture(lang)["duration"] * 30)
        # the narration is loudness-normalised to -16 LUFS
        assert abs(_loudness(mp4, "0:a:0") + 16) < 1.5
    assert abs(durations["en"] - video["duration"]) < 0.1
    # the voices speak at their own pace: each picture's steps last as its own narration needs
    assert abs(durations["de"] - durations["en"]) > 0.2, durations
    starts = {lang: row.picture(lang)["starts"] for lang in ("en", "de")}
    assert starts["en"][0] == starts["de"][0] == 0 and abs(starts["de"][1] - starts["en"][1]) > 0.1
    assert [step["starts"] for step in row.steps] == [{"en": en, "de": de}
                                                      for en, de in zip(starts["en"], starts["de"], strict=True)]

    for lang in ("en", "de"):
        master_url = pictures[lang]["hls"]
        master = m3u8.loads(download(alice_api, master_url).decode())
        assert len(master.playlists) == 1 and master.playlists[0].stream_info.resolution == (1280, 720)
        audio = [m for m in master.media if m.type == "AUDIO"]
        subs = [m for m in master.media if m.type == "SUBTITLES"]
        assert [(m.language, m.default) for m in audio] == [(lang, "YES")]
        assert [(m.language, m.default) for m in subs] == [("en", "YES" if lang == "en" else "NO"),
                                                           ("de", "YES" if lang == "de" else "NO")]
        base = master_url.rsplit("/", 1)[0]
        for uri in [master.playlists[0].uri] + [m.uri for m in audio + subs]:
            playlist = m3u8.loads(download(alice_api, f"{base}/{uri}").decode())
            assert playlist.is_endlist and playlist.segments
            assert abs(sum(s.duration for s in playlist.segments) - durations[lang]) < 0.2, (uri, playlist.dumps())
            assert download(alice_api, f"{base}/{uri.rsplit('/', 1)[0]}/{playlist.segments[0].uri}")
        for other, words in (("en", "settings"), ("de", "Einstellungsmenü")):
            vtt = download(alice_api, f"{base}/subs_{other}/subtitles.vtt").decode()
            captions = webvtt.from_buffer(io.StringIO(vtt)).captions
            assert len(captions) >= 2 and words in captions[0].text
            assert captions[0].start_in_seconds == 0 and captions[-1].end_in_seconds <= durations[lang]
            # every language's text is timed to this picture's steps
            assert any(abs(_seconds(c.start) - starts[lang][1]) < 0.01 for c in captions), (lang, other, vtt)

    stream = alice_api.get(video["urls"]["stream"], headers={"Range": "bytes=0-99"})
    assert stream.status_code == 206 and len(b"".join(stream.streaming_content)) == 100
    size = (tmp_path / "video-en.mp4").stat().st_size
    assert alice_api.get(video["urls"]["stream"], headers={"Range": f"bytes={size}-"}).status_code == 416
    german = alice_api.get(pictures["de"]["stream"], headers={"Range": "bytes=0-99"})
    german_size = (tmp_path / "video-de.mp4").stat().st_size
    assert german.status_code == 206 and german["Content-Range"].endswith(f"/{german_size}")
    from previews.videos.services import video_usage

    assert video_usage(row.owner) == size + german_size, "the quota counts every language's MP4"
    missing = alice_api.get(f"{video['urls']['stream']}?language=fr")
    assert missing.status_code == 404 and missing.json()["error"]["details"]["languages"] == ["en", "de"]
    assert not any("/work/" in key for key in _stored(f"videos/{accepted['videoId']}"))


def _seconds(stamp: str) -> float:
    hours, minutes, seconds = stamp.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def _stored(prefix: str) -> list[str]:
    return stored_keys(prefix)


def _captioned_frames(mp4: bytes) -> list[bool | None]:
    """Per frame of a chapter of flat colours: True when a caption is drawn (the band at the
    bottom differs from the picture), False when the frame is flat, None for a frame the check
    cannot judge."""
    out = []
    with av.open(io.BytesIO(mp4)) as container:
        for frame in container.decode(container.streams.video[0]):
            pixels = frame.to_ndarray(format="rgb24").astype(int)
            h, w, _ = pixels.shape
            picture = pixels[h // 3: h // 2, w // 3: 2 * w // 3].reshape(-1, 3).mean(axis=0)
            band = pixels[int(0.8 * h): int(0.95 * h), int(0.3 * w): int(0.7 * w)].reshape(-1, 3)
            spread = abs(band - picture).max(axis=1)
            out.append(True if (spread > 60).mean() > 0.05 else False if spread.max() < 25 else None)
    return out


def test_a_one_step_caption_edit_re_renders_only_that_scenes_body(alice_api, alice_project, worker):
    chapter = _bilingual_chapter(alice_api, alice_project.id, transition="crossfade")
    first = _generate(alice_api, alice_project.id, chapter["id"], languages=["en"])
    assert _wait(alice_api, first["jobId"])["status"] == "succeeded"
    step = alice_api.get(f"/api/chapters/{chapter['id']}/steps").json()["results"][1]
    alice_api.patch(f"/api/steps/{step['id']}", {"caption": "Choose your language"}, format="json")
    second = _generate(alice_api, alice_project.id, chapter["id"], languages=["en"])
    status = _wait(alice_api, second["jobId"])
    render = next(s for s in status["stages"] if s["stage"] == "render")
    # 3 bodies and 2 cross-fades; the captions are drawn on the bodies only, so the cross-fades
    # into and out of the edited step are reused
    assert render["outputs"] == {"rendered": 1, "reused": 4, "pieces": 5, "encoded": 0}, "no sound encoded again"
    narrate = next(s for s in status["stages"] if s["stage"] == "narrate")
    assert narrate["outputs"] == {"synthesized": 0, "measured": 0}, "a caption edit speaks and measures nothing"
    assert Segment.objects.count() == 6
    assert Video.objects.get(pk=first["videoId"]).superseded_at is not None

    video = alice_api.get(f"/api/videos/{second['videoId']}").json()
    captioned = _captioned_frames(download(alice_api, video["urls"]["download"]))
    runs = [(flag, len(list(group))) for flag, group in itertools.groupby(captioned)]
    assert [flag for flag, _ in runs] == [True, False, True, False, True], runs
    assert [n for flag, n in runs if flag is False] == [12, 12], "each 0.4 s cross-fade shows no caption"


def test_cancel_stops_the_render_and_resume_from_reuses_earlier_stages(alice_api, alice_project, workers, settings):
    workers.start(**FAST_BEAT)
    steps = [{"caption": f"Slide {i}", "duration": 10, "narration": {"en": "One more step."}} for i in range(3)]
    chapter = chapter_with_steps(alice_api, alice_project.id, steps)
    accepted = _generate(alice_api, alice_project.id, chapter["id"], resolution="1080p")
    wait_for(lambda: Job.objects.get(pk=accepted["jobId"]).stage == "render", timeout=60, interval=0.1)
    asked = timezone.now()
    assert alice_api.post(f"/api/videos/jobs/{accepted['jobId']}/cancel").status_code == 200
    status = _wait(alice_api, accepted["jobId"], timeout=20)
    job = Job.objects.get(pk=accepted["jobId"])
    assert status["status"] == "cancelled" and (job.finished_at - asked).total_seconds() < 3
    prefix = f"videos/{accepted['videoId']}"
    assert not [k for k in _stored(prefix) if "/work/" not in k], "no final artifact after a cancel"

    retried = alice_api.post(f"/api/v1/jobs/{accepted['jobId']}/retry", {"resumeFrom": "render"}, format="json")
    assert retried.status_code == 202
    assert _wait(alice_api, accepted["jobId"], timeout=240)["status"] == "succeeded"
    second = StageRun.objects.filter(job_id=accepted["jobId"], attempt=2)
    assert dict(second.values_list("stage", "status")) == {
        "plan": "reused", "narrate": "reused", "captions": "reused", "render": "succeeded", "package": "succeeded"}
    first = {r.stage: r.outputs for r in StageRun.objects.filter(job_id=accepted["jobId"], attempt=1)}
    assert second.get(stage="narrate").outputs == first["narrate"]


def test_a_language_the_engine_cannot_speak_fails_the_narrate_stage(alice_api, alice_project, worker, monkeypatch):
    # The request refuses such languages up front (see below); the stage must hold on its own too,
    # e.g. after TTS_ENGINE changed between the request and the run.
    from previews.videos import services

    monkeypatch.setattr(services, "_check_languages", lambda chapter, languages: languages)
    chapter = chapter_with_steps(alice_api, alice_project.id, [{"duration": 1, "narration": {"tlh": "Qapla'"}}])
    accepted = _generate(alice_api, alice_project.id, chapter["id"], languages=["tlh"])
    status = _wait(alice_api, accepted["jobId"])
    assert status["status"] == "failed" and status["attempts"] == 1
    narrate = next(s for s in status["stages"] if s["stage"] == "narrate")
    assert narrate["status"] == "failed" and "cannot speak language 'tlh'" in narrate["error"]


def test_a_missing_asset_fails_the_plan_stage_naming_the_step(alice_api, alice_project, worker, client, alice):
    from assets.models import Blob

    image = upload(alice_api, alice_project.id, "x.png", media.image_bytes("PNG", color=(5, 6, 7)))
    chapter = chapter_with_steps(alice_api, alice_project.id, [{"duration": 1}, {"duration": 1, "asset": image["id"]}])
    default_storage.delete(Blob.objects.get(sha256=image["sha256"]).storage_key)
    status = _wait(alice_api, _generate(alice_api, alice_project.id, chapter["id"])["jobId"])
    plan = status["stages"][0]
    assert status["status"] == "failed" and plan["status"] == "failed" and "step 2" in plan["error"]
    # the dashboard shows the stage and offers to retry from it
    client.force_login(alice)
    page = client.get(f"/jobs/{status['id']}/").content.decode()
    assert "Retry from this stage" in page and "missing from storage" in page
    response = client.post(f"/jobs/{status['id']}/retry/", {"resume_from": "plan"})
    assert response.status_code == 302
    job = Job.objects.get(pk=status["id"])
    assert job.payload["resumeFrom"] == "plan" and job.status in ("queued", "running", "failed")


def test_the_storage_quota_is_checked_before_work_starts(alice_api, alice_project, settings):
    chapter = _bilingual_chapter(alice_api, alice_project.id)
    settings.VIDEO_QUOTA_BYTES = 100
    response = alice_api.post("/api/videos/generate", {"projectId": alice_project.id, "chapterId": chapter["id"]},
                              format="json")
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "quota_exceeded" and error["details"]["quota"] == 100 and error["details"]["usage"] > 100
    assert Job.objects.count() == 0


def test_videos_and_their_jobs_are_owner_scoped(alice_api, bob_api, alice_project, bob_project):
    chapter = _bilingual_chapter(alice_api, alice_project.id)
    accepted = _generate(alice_api, alice_project.id, chapter["id"])
    for url in (f"/api/videos/{accepted['videoId']}", f"/api/videos/{accepted['videoId']}/stream",
                f"/api/videos/jobs/{accepted['jobId']}/status"):
        assert bob_api.get(url).status_code == 404
    assert bob_api.post(f"/api/videos/jobs/{accepted['jobId']}/cancel").status_code == 404
    response = bob_api.post("/api/videos/generate", {"projectId": bob_project.id, "chapterId": chapter["id"]},
                            format="json")
    assert response.status_code == 404
    assert alice_api.get(f"/api/videos/{accepted['videoId']}/download").status_code == 409
    assert json.loads(alice_api.get(f"/api/videos/{accepted['videoId']}").content)["urls"] is None


def test_superseded_videos_and_unused_pieces_expire(alice_api, alice_project, settings):
    from datetime import timedelta

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from previews.videos.services import videos_expire

    chapter = _bilingual_chapter(alice_api, alice_project.id)
    video = Video.objects.get(pk=_generate(alice_api, alice_project.id, chapter["id"])["videoId"])
    key = default_storage.save(f"videos/{video.id}/video.mp4", ContentFile(b"old render"))
    piece = default_storage.save("videos/cache/segments/abc.mp4", ContentFile(b"piece"))
    Segment.objects.create(key="abc", storage_key=piece, frames=1)
    old = timezone.now() - timedelta(seconds=settings.VIDEO_SUPERSEDED_TTL_SECONDS + 60)
    Video.objects.filter(pk=video.pk).update(mp4_key=key, superseded_at=old)
    Segment.objects.update(used_at=old)
    assert videos_expire() == 2
    assert not default_storage.exists(key) and not default_storage.exists(piece)
    assert Video.objects.get(pk=video.pk).mp4_key == "" and Segment.objects.count() == 0


def test_languages_are_checked_before_a_video_is_queued(alice_api, alice_project):
    chapter = _bilingual_chapter(alice_api, alice_project.id)
    for languages, code in ((["en", "en"], "invalid_languages"), (["tlh"], "unsupported_language"),
                            (["fr"], "invalid_languages")):
        response = alice_api.post("/api/videos/generate", {"projectId": alice_project.id, "chapterId": chapter["id"],
                                                           "languages": languages}, format="json")
        assert response.status_code == 422 and response.json()["error"]["code"] == code, languages
    assert Job.objects.count() == 0


def test_a_chapter_without_narration_renders_a_silent_track(alice_api, alice_project, worker):
    chapter = chapter_with_steps(alice_api, alice_project.id, [{"caption": "Quiet", "duration": 1.5}])
    status = _wait(alice_api, _generate(alice_api, alice_project.id, chapter["id"])["jobId"])
    assert status["status"] == "succeeded", status


def test_a_deleted_chapters_video_files_are_swept(alice_api, alice_project, worker):
    from previews.videos.services import videos_expire

    chapter = chapter_with_steps(alice_api, alice_project.id, [{"caption": "Soon gone", "duration": 1.0}])
    accepted = _generate(alice_api, alice_project.id, chapter["id"])
    assert _wait(alice_api, accepted["jobId"])["status"] == "succeeded"
    assert _stored(f"videos/{accepted['videoId']}")
    assert alice_api.delete(f"/api/chapters/{chapter['id']}").status_code == 204
    videos_expire()
    assert _stored(f"videos/{accepted['videoId']}") == []


def test_django_q2s_task_timeout_never_kills_a_long_video_job(alice_api, alice_project, workers):
    """Each FFmpeg call stays within VIDEO_TIMEOUT_SECONDS; the job as a whole outlives
    django-q2's per-task timeout, which must not apply to jobs."""
    workers.start(Q_TIMEOUT_SECONDS="1", Q_RETRY_SECONDS="2", **FAST_BEAT)
    chapter = chapter_with_steps(alice_api, alice_project.id, [
        {"caption": f"Step {i}", "duration": 3, "narration": {"en": "A sentence that takes a while to say."}}
        for i in range(4)])
    accepted = _generate(alice_api, alice_project.id, chapter["id"], resolution="1080p")
    status = _wait(alice_api, accepted["jobId"])
    job = Job.objects.get(pk=accepted["jobId"])
    assert (job.finished_at - job.started_at).total_seconds() > 1 + 2, "the job outlived the task timeout"
    assert status["status"] == "succeeded" and job.attempts == 1, status
    assert list(job.attempt_set.values_list("outcome", flat=True)) == ["success"]


def test_a_chapter_whose_steps_cannot_hold_their_transitions_is_a_422_naming_them(alice_api, alice_project):
    # each step alone is valid (0.5 s < 1 s), but a middle step cannot hold 0.5 s in and 0.5 s out
    chapter = chapter_with_steps(alice_api, alice_project.id, [
        {"caption": f"Step {i + 1}", "duration": 1.0, "transition": "crossfade", "transitionDuration": 0.5}
        for i in range(3)])
    response = alice_api.post("/api/videos/generate", {"projectId": alice_project.id, "chapterId": chapter["id"]},
                              format="json")
    assert response.status_code == 422, response.json()
    error = response.json()["error"]
    assert error["code"] == "invalid_timeline" and "too short for its transitions" in error["message"]
    assert [key for key in error["details"]["fields"] if key.endswith(".duration")], error
    assert not Job.objects.exists() and not Video.objects.exists()
