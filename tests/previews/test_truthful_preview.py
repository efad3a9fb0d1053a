"""A preview that tells the truth (issue 20.2): a chapter's preview is narrated by the project's voice with
the speech cache the video uses, and timed as the video is: the narrated preview and the video of one
chapter agree on duration within a frame and on which steps have sound."""

from __future__ import annotations

import io
import json

import av
import numpy as np
import pytest

from previews.models import Video
from previews.speech import SPEECH_PREFIX
from previews.tts.synthesis import CACHE_PREFIX
from tests.conftest import stored_keys
from tests.previews.helpers import chapter_with_steps, download, post_preview, wait_finished
from tests.previews.test_videos import _generate, _wait

pytestmark = pytest.mark.django_db(transaction=True)

STEPS = [
    {"caption": "Open the settings", "duration": 1, "narration": {"en": "Open the settings and choose your language."}},
    {"caption": "Look around", "duration": 2},
    {"caption": "Save", "duration": 1, "narration": {"en": "Save your changes."}},
]


def _decoded(content: bytes) -> tuple[float, np.ndarray, int]:
    with av.open(io.BytesIO(content)) as container:
        stream = container.streams.audio[0]
        rate = stream.rate
        frames = [f.to_ndarray().astype(np.float64).mean(axis=0) for f in container.decode(stream)]
        duration = float(container.duration / av.time_base)
    return duration, np.concatenate(frames), rate


def _heard(samples: np.ndarray, rate: int, start: float, end: float) -> bool:
    part = samples[int(start * rate):int(end * rate)]
    return float(np.sqrt(np.mean(part ** 2))) > 0.003


def test_the_narrated_preview_and_the_video_agree_on_length_and_sound(alice_api, alice_project, worker, settings):
    settings.PREVIEW_HEIGHT = 480
    chapter = chapter_with_steps(alice_api, alice_project.id, STEPS)
    preview = post_preview(alice_api, alice_project.id, {"chapterId": chapter["id"]}).json()["jobId"]
    status = wait_finished(alice_api, preview, timeout=120)
    assert status["status"] == "succeeded", status
    preview_duration, preview_sound, preview_rate = _decoded(download(alice_api, f"/api/preview/{preview}/artifact"))

    accepted = _generate(alice_api, alice_project.id, chapter["id"], resolution="480p", languages=["en"])
    assert _wait(alice_api, accepted["jobId"])["status"] == "succeeded"
    video = Video.objects.get(pk=accepted["videoId"])
    video_duration, video_sound, video_rate = _decoded(download(alice_api, f"/api/videos/{video.id}/download"))

    assert abs(preview_duration - video_duration) <= 1 / 30 + 0.025, (preview_duration, video_duration)
    assert preview_duration > 1 + 2 + 1 + 1, "the narration lengthened the steps, as in the video"
    starts = video.picture("en")["starts"]
    bounds = list(zip(starts, [*starts[1:], video_duration], strict=True))
    heard_in_preview = [_heard(preview_sound, preview_rate, a + 0.1, b - 0.2) for a, b in bounds]
    heard_in_video = [_heard(video_sound, video_rate, a + 0.1, b - 0.2) for a, b in bounds]
    assert heard_in_preview == heard_in_video == [True, False, True]


def test_a_preview_uses_the_speech_the_video_made(alice_api, alice_project, worker, settings):
    settings.PREVIEW_HEIGHT = 480
    chapter = chapter_with_steps(alice_api, alice_project.id, STEPS[:1])
    accepted = _generate(alice_api, alice_project.id, chapter["id"], resolution="480p", languages=["en"])
    assert _wait(alice_api, accepted["jobId"])["status"] == "succeeded"
    made = stored_keys(CACHE_PREFIX), stored_keys(SPEECH_PREFIX)
    assert (len(made[0]), len(made[1])) == (1, 2)  # the clip as said; normalised, with its measure
    preview = post_preview(alice_api, alice_project.id, {"chapterId": chapter["id"]}).json()["jobId"]
    assert wait_finished(alice_api, preview, timeout=120)["status"] == "succeeded"
    assert (stored_keys(CACHE_PREFIX), stored_keys(SPEECH_PREFIX)) == made, "nothing said or normalised again"
    duration, sound, rate = _decoded(download(alice_api, f"/api/preview/{preview}/artifact"))
    assert _heard(sound, rate, 0.1, duration - 0.3)


def test_the_dry_run_estimates_the_videos_duration_within_5_percent(alice_api, alice_project, worker):
    chapter = chapter_with_steps(alice_api, alice_project.id, STEPS)
    dry = post_preview(alice_api, alice_project.id, {"chapterId": chapter["id"]}, dryRun=True).json()["jobId"]
    manifest = json.loads(download(alice_api, f"/api/preview/{dry}/artifact"))
    accepted = _generate(alice_api, alice_project.id, chapter["id"], resolution="480p", languages=["en"])
    assert _wait(alice_api, accepted["jobId"])["status"] == "succeeded"
    real = Video.objects.get(pk=accepted["videoId"]).duration
    assert abs(manifest["duration"] - real) <= 0.05 * real, (manifest["duration"], real)
    starts = Video.objects.get(pk=accepted["videoId"]).picture("en")["starts"]
    assert [round(scene["start"], 2) for scene in manifest["scenes"]] == [round(s, 2) for s in starts]


def test_one_step_previews_alone_narrated(alice_api, alice_project, worker, client, alice):
    chapter = chapter_with_steps(alice_api, alice_project.id, STEPS)
    third = alice_api.get(f"/api/chapters/{chapter['id']}/steps").json()["results"][2]
    preview = post_preview(alice_api, alice_project.id, {"chapterId": chapter["id"], "stepId": third["id"]})
    assert preview.status_code == 202, preview.json()
    status = wait_finished(alice_api, preview.json()["jobId"], timeout=60)
    assert status["status"] == "succeeded", status
    duration, sound, rate = _decoded(download(alice_api, f"/api/preview/{preview.json()['jobId']}/artifact"))
    assert 1.0 < duration < 4 and _heard(sound, rate, 0.1, duration - 0.3)  # "Save your changes." alone
    other = chapter_with_steps(alice_api, alice_project.id, [{"caption": "Elsewhere"}])
    refused = post_preview(alice_api, alice_project.id, {"chapterId": other["id"], "stepId": third["id"]})
    assert refused.status_code == 404
    assert refused.json()["error"]["message"] == "That step is not a step of the chapter."
    assert post_preview(alice_api, alice_project.id, {"stepId": third["id"], "steps": [{"duration": 1}]}
                        ).status_code == 400
    client.force_login(alice)
    page = client.post(f"/chapters/{chapter['id']}/preview/", {"step": str(third["id"])})
    assert page.status_code == 302 and page["Location"].endswith("#preview")
    gone = client.post(f"/chapters/{chapter['id']}/preview/", {"step": "999999"}, follow=True)
    assert "That step is no longer in the chapter." in gone.content.decode()
