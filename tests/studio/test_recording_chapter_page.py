"""The project page's "Make a chapter from a recording": the same service as the API, then the job's page,
which links the new chapter once it is made."""

from __future__ import annotations

import re

from contentizer.jobs.models import Job
from contentizer.models import Chapter
from tests.conftest import wait_for
from tests.previews.helpers import upload
from tests.previews.recording import make_recording
from tests.previews.speech import TUTORIAL_SENTENCES


def test_the_project_page_makes_a_chapter_from_a_recording(client, alice, alice_api, alice_project, worker, tmp_path):
    recording = make_recording(tmp_path / "rec", TUTORIAL_SENTENCES[:2])
    asset = upload(alice_api, alice_project.pk, "tour.mp4", recording.path.read_bytes())
    client.force_login(alice)
    page = client.get(f"/projects/{alice_project.pk}/").content.decode()
    assert "Make a chapter from a recording" in page and f'<option value="{asset["id"]}">tour.mp4' in page

    response = client.post(f"/projects/{alice_project.pk}/chapters/from-recording",
                           {"asset": asset["id"], "language": "en", "title": "A tour"})
    assert response.status_code == 302 and response["Location"].startswith("/jobs/")
    job = Job.objects.get(kind="recording_chapter")
    wait_for(lambda: Job.objects.get(pk=job.pk).finished_at, timeout=180)
    chapter = Chapter.objects.get(project=alice_project, title="A tour")
    assert chapter.steps.count() >= 2  # a step per spoken segment (Whisper may split a long sentence)
    job_page = client.get(response["Location"]).content.decode()
    assert re.search(rf'<a href="/chapters/{chapter.pk}/">Open the chapter “A tour”</a>', job_page)


def test_a_project_without_recordings_says_where_to_upload_one(client, alice, alice_project):
    client.force_login(alice)
    page = client.get(f"/projects/{alice_project.pk}/").content.decode()
    assert "Upload a video with sound (or a sound recording) to the" in page
