"""A step's duration is a minimum: narration lengthens it, so a chapter is checked as narration
makes it, for videos, previews and dry runs alike (issue 17.1)."""

from __future__ import annotations

import json

import av
import pytest

from contentizer.jobs.models import Job
from tests import media
from tests.previews.helpers import BLUE, GREEN, RED, chapter_with_steps, download, post_preview, upload

pytestmark = pytest.mark.django_db(transaction=True)

NARRATION = [
    {"en": "Open the settings menu at the top.", "de": "Öffnen Sie oben das Einstellungsmenü."},
    {"en": "Choose the language you want.", "de": "Wählen Sie die gewünschte Sprache."},
    {"en": "Save your changes and close it.", "de": "Speichern Sie und schließen Sie es."},
]


def _short_steps_chapter(api, project_id: int, narration: list[dict]) -> dict:
    """Three one-second steps with half-second cross-fades: each middle step alone is too short
    for 0.5 s in and 0.5 s out, unless its narration lengthens it."""
    assets = [upload(api, project_id, f"{n}.png", media.image_bytes("PNG", (640, 360), colour))
              for n, colour in (("red", RED), ("blue", BLUE), ("green", GREEN))]
    return chapter_with_steps(api, project_id, [
        {"caption": {"en": f"Step {i + 1}", "de": f"Schritt {i + 1}"}, "asset": asset["id"], "duration": 1.0,
         "transition": "crossfade",
         "transitionDuration": 0.5, "narration": text}
        for i, (asset, text) in enumerate(zip(assets, narration, strict=True))])


def test_it_generates_a_video_of_short_narrated_steps_whose_narration_makes_them_long_enough(
        alice_api, alice_project, worker, tmp_path):
    from tests.previews.test_videos import _generate, _wait

    chapter = _short_steps_chapter(alice_api, alice_project.id, NARRATION)
    accepted = _generate(alice_api, alice_project.id, chapter["id"], languages=["en", "de"], resolution="480p")
    status = _wait(alice_api, accepted["jobId"])
    assert status["status"] == "succeeded", status
    video = alice_api.get(f"/api/videos/{accepted['videoId']}").json()
    mp4 = tmp_path / "video.mp4"
    mp4.write_bytes(download(alice_api, video["urls"]["download"]))
    with av.open(str(mp4)) as container:
        seconds = container.duration / 1e6
    # three steps of about 2.5 s of speech plus a pause, less two half-second overlaps: far longer than 3 x 1 s
    assert seconds > 5.0 and abs(seconds - video["duration"]) < 0.1


def test_it_previews_and_dry_runs_the_same_chapter_with_its_steps_lengthened(alice_api, alice_project):
    chapter = _short_steps_chapter(alice_api, alice_project.id, NARRATION)
    dry = post_preview(alice_api, alice_project.id, {"chapterId": chapter["id"]}, dryRun=True)
    assert dry.status_code == 202, dry.json()
    scenes = json.loads(download(alice_api, dry.json()["artifactUrl"]))["scenes"]
    # each step lasts as long as the voice takes to say it (issue 20.2: the dry run is timed as the video),
    # and so outlasts its 0.5 s transitions in and out
    assert all(s["duration"] > 1.5 for s in scenes), [s["duration"] for s in scenes]
    assert post_preview(alice_api, alice_project.id, {"chapterId": chapter["id"]}).status_code == 202


def test_it_refuses_a_short_step_without_narration_naming_the_step_and_why(alice_api, alice_project):
    narration = [NARRATION[0], {}, NARRATION[2]]
    chapter = _short_steps_chapter(alice_api, alice_project.id, narration)
    response = alice_api.post("/api/videos/generate", {"projectId": alice_project.id, "chapterId": chapter["id"]},
                              format="json")
    assert response.status_code == 422, response.json()
    error = response.json()["error"]
    assert error["code"] == "invalid_timeline"
    assert "step 2 (id " in error["message"] and "no narration to lengthen it" in error["message"], error
    assert "step 1" not in error["message"] and "step 3" not in error["message"]
    assert list(error["details"]["fields"]) == ["scenes[1].duration"]
    preview = post_preview(alice_api, alice_project.id, {"chapterId": chapter["id"]}, dryRun=True)
    assert preview.status_code == 422 and "step 2 (id " in preview.json()["error"]["message"]
    assert not Job.objects.exists()
