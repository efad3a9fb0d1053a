"""What the product's own checks refuse would be refused again: such a failure is permanent,
at the first attempt, naming the step (issue 17.3)."""

from __future__ import annotations

import pytest

from contentizer.jobs.errors import PermanentJobError
from contentizer.jobs.models import Job
from contentizer.media import ffmpeg
from contentizer.storage import publish_file
from previews.models import Segment
from previews.render import verify
from tests import media
from tests.previews.helpers import BLUE, GREEN, RED, chapter_with_steps, upload

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_join_refusal_fails_the_video_at_once_naming_the_step(alice_api, alice_project, worker, tmp_path):
    from tests.previews.test_videos import _generate, _wait

    assets = [upload(alice_api, alice_project.id, f"{n}.png", media.image_bytes("PNG", (320, 180), colour))
              for n, colour in (("red", RED), ("blue", BLUE), ("green", GREEN))]
    chapter = chapter_with_steps(alice_api, alice_project.id, [
        {"caption": f"Step {i + 1}", "asset": asset["id"], "duration": 1.0, "transition": "cut"}
        for i, asset in enumerate(assets)])
    first = _wait(alice_api, _generate(alice_api, alice_project.id, chapter["id"], resolution="480p")["jobId"])
    assert first["status"] == "succeeded", first
    # the cached body of step 2 replaced (its record too) by a piece another encoder setting made:
    # the join must refuse it, and would refuse it on every attempt
    pieces = list(Segment.objects.order_by("id"))  # published in the order of the chapter
    assert len(pieces) == 3
    odd = tmp_path / "odd.mp4"
    ffmpeg.run(["-f", "lavfi", "-i", "color=c=blue:s=854x480:r=30", "-frames:v", str(pieces[1].frames),
                "-c:v", "libx264", "-profile:v", "baseline", "-pix_fmt", "yuv420p", "-f", "mp4", str(odd)], timeout=60)
    publish_file(key=pieces[1].storage_key, path=odd)

    second = _wait(alice_api, _generate(alice_api, alice_project.id, chapter["id"], resolution="480p")["jobId"])
    assert second["status"] == "failed" and second["attempts"] == 1, second
    job = Job.objects.get(pk=second["id"])
    assert job.attempt_set.count() == 1
    assert "step 2 (id " in job.error and "joining the rendered pieces failed" in job.error
    assert "encoded with other settings" in job.error and "/" not in job.error.split("(id ")[0]


def test_a_finished_file_that_fails_its_check_is_a_permanent_error(tmp_path):
    clip = media.make_av(tmp_path, "clip.mp4")  # 2 s at 25 fps with sound: not the 60 frames asked for
    with pytest.raises(PermanentJobError, match="50 frames instead of 60"):
        verify(clip, frames=60, fps=30, audio=1, subtitles=0)
    with pytest.raises(PermanentJobError, match="wrong streams"):
        verify(clip, frames=50, fps=25, audio=2, subtitles=0)
    assert verify(clip, frames=50, fps=25, audio=1, subtitles=0) == pytest.approx(2.0, abs=0.1)
