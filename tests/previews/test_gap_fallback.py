"""A language with gaps, generated with `"missing": "fallback"` (issue 18.3): where German has no
narration, the English text is spoken with the English voice on the German track and shown in its
subtitles, and the video marks the step; no stretch of a narrated step is silent."""

from __future__ import annotations

import io
import re

import pytest
import webvtt

from contentizer.media import ffmpeg
from contentizer.models import Project
from tests import media
from tests.previews.helpers import BLUE, RED, chapter_with_steps, download, upload
from tests.previews.test_videos import _generate, _wait

pytestmark = pytest.mark.django_db(transaction=True)
ENGLISH_ONLY = "Pump the tyre up and listen carefully for the hole."


def _seconds(stamp: str) -> float:
    hours, minutes, seconds = stamp.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def _silences(path, stream: str, tmp_path) -> list[tuple[float, float]]:
    log = tmp_path / "silence.log"
    ffmpeg.run(["-i", str(path), "-map", stream, "-af", "silencedetect=noise=-45dB:d=0.4", "-f", "null", "-"],
               timeout=120, log_path=str(log))
    text = log.read_text()
    starts = [float(x) for x in re.findall(r"silence_start: (-?[\d.]+)", text)]
    ends = [float(x) for x in re.findall(r"silence_end: (-?[\d.]+)", text)]
    return list(zip(starts, ends + [float("inf")] * (len(starts) - len(ends)), strict=True))


def test_a_fallback_speaks_and_subtitles_the_first_languages_text_where_german_has_none(
        alice, alice_api, client, worker, tmp_path):
    project = Project.objects.create(owner=alice, title="Tyres", languages=["en", "de"])
    pictures = [upload(alice_api, project.pk, f"{n}.png", media.image_bytes("PNG", (640, 360), c))
                for n, c in (("red", RED), ("blue", BLUE))]
    chapter = chapter_with_steps(alice_api, project.pk, [
        {"caption": {"en": "Wheel", "de": "Rad"}, "asset": pictures[0]["id"], "duration": 1,
         "narration": {"en": "Take the wheel off.", "de": "Nehmen Sie das Rad ab."}},
        {"caption": {"en": "Tube", "de": "Schlauch"}, "asset": pictures[1]["id"], "duration": 1,
         "narration": {"en": ENGLISH_ONLY}},
    ])
    accepted = _generate(alice_api, project.pk, chapter["id"], languages=["en", "de"], missing="fallback",
                         resolution="480p")
    status = _wait(alice_api, accepted["jobId"])
    assert status["status"] == "succeeded", status
    video = alice_api.get(f"/api/videos/{accepted['videoId']}").json()
    mp4 = tmp_path / "video.mp4"  # the German picture's own MP4, with its own track
    mp4.write_bytes(download(alice_api, video["urls"]["pictures"]["de"]["download"]))

    from previews.models import Video

    steps = Video.objects.get(pk=accepted["videoId"]).steps
    assert [step.get("fallback") for step in steps] == [None, {"de": ["narration"]}]
    second = steps[1]["starts"]["de"]
    german_silences = _silences(mp4, "0:a:0", tmp_path)
    # the step's narration starts with the step (a short lead-in at most) and lasts over a second
    assert not [s for s in german_silences if s[0] < second + 1.5 and s[1] > second + 0.3], german_silences

    base = video["urls"]["pictures"]["de"]["hls"].rsplit("/", 1)[0]
    cues = webvtt.from_buffer(io.StringIO(download(alice_api, f"{base}/subs_de/subtitles.vtt").decode())).captions
    assert "Nehmen Sie das Rad ab." in cues[0].text
    spoken = [c for c in cues if "listen carefully" in c.text]
    assert len(spoken) == 1 and abs(_seconds(spoken[0].start) - second) < 0.05, [(c.start, c.text) for c in cues]

    client.force_login(alice)
    page = client.get(f"/videos/{accepted['videoId']}/").content.decode()
    assert "German uses another language’s narration" in page
