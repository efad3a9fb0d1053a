"""The job pages: one set for every kind, live through the one jobs API, with each kind's section."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

from contentizer.jobs.messages import INTERNAL, public_error
from contentizer.jobs.models import Job, JobStatus
from tests import media
from tests.previews.helpers import chapter_with_steps, post_preview, upload


def _queued_video_job(api, project_id: int) -> str:
    chapter = chapter_with_steps(api, project_id, [{"caption": "Hi", "duration": 1, "narration": {"en": "Hi."}}])
    response = api.post("/api/videos/generate", {"projectId": project_id, "chapterId": chapter["id"]}, format="json")
    assert response.status_code == 202, response.json()
    return response.json()["jobId"]


def test_a_dry_run_job_page_shows_the_manifest_as_a_table(client, alice, alice_api, alice_project):
    image = upload(alice_api, alice_project.id, "red.png", media.image_bytes("PNG"))
    chapter = chapter_with_steps(alice_api, alice_project.id, [
        {"caption": "Open the menu", "asset": image["id"], "duration": 2, "transition": "dissolve"},
        {"caption": "Done", "duration": 1.5}])
    job = post_preview(alice_api, alice_project.id, {"chapterId": chapter["id"]}, dryRun=True).json()
    client.force_login(alice)
    page = client.get(f"/jobs/{job['jobId']}/").content.decode()
    rows = re.findall(r"<tr><td>(\d)</td><td>(step \d \(id \d+\))</td><td>(\w+)</td><td>([\d.]+)</td>", page)
    assert [(n, kind, start) for n, _, kind, start in rows] == [("1", "image", "0.00"), ("2", "title", "1.50")]
    assert "Open the menu" in page and "dissolve 0.5 s" in page and "Download the manifest (JSON)" in page


def test_a_video_job_page_follows_the_one_jobs_api_with_the_stage_and_a_cancel_button(client, alice, alice_api,
                                                                                        alice_project):
    job_id = _queued_video_job(alice_api, alice_project.id)
    client.force_login(alice)
    page = client.get(f"/jobs/{job_id}/").content.decode()
    assert f'data-job-id="{job_id}" data-job-live="1"' in page
    assert "/api/preview/" not in page and "/status" not in page  # the old kind-specific route is gone
    assert "Stage: <span data-job-field=\"stage\">waiting</span>" in page and "No stage has run yet." in page
    assert re.search(rf'action="/jobs/{job_id}/cancel/"', page)
    script = (Path(settings.BASE_DIR) / "static/js/jobs.js").read_text()
    assert '"/api/v1/jobs/" + encodeURIComponent(node.dataset.jobId)' in script
    cancelled = client.post(f"/jobs/{job_id}/cancel/", {"next": f"/jobs/{job_id}/"})
    assert cancelled.status_code == 302 and cancelled["Location"] == f"/jobs/{job_id}/"
    assert Job.objects.get(pk=job_id).status == JobStatus.CANCELLED
    page = client.get(f"/jobs/{job_id}/").content.decode()
    assert 'data-job-live="0"' in page and ">Retry</button>" in page and "Cancelled." in page


def test_the_cancel_button_only_goes_back_to_this_site(client, alice, alice_api, alice_project):
    job_id = _queued_video_job(alice_api, alice_project.id)
    client.force_login(alice)
    response = client.post(f"/jobs/{job_id}/cancel/", {"next": "https://elsewhere.example/"})
    assert response["Location"] == f"/jobs/{job_id}/"


def test_the_job_list_shows_every_kind_and_filters_by_kind(client, alice, alice_api, alice_project):
    _queued_video_job(alice_api, alice_project.id)
    chapter = chapter_with_steps(alice_api, alice_project.id, [{"caption": "x", "duration": 1}])
    post_preview(alice_api, alice_project.id, {"chapterId": chapter["id"]}, dryRun=True)
    client.force_login(alice)
    page = client.get("/jobs/").content.decode()
    assert "Video " in page and "Preview (dry run)" in page
    options = page.split('name="kind"')[1].split("</select>")[0]
    kinds = re.findall(r'<option value="(\w+)"[^>]*>([^<]+)</option>', options)
    assert dict(kinds) == {"export": "Export", "import": "Import", "preview": "Preview", "translate": "Translation",
                           "transcribe": "Transcription", "video": "Video", "dub": "Dub",
                           "recording_chapter": "Chapter from a recording"}
    only_videos = client.get("/jobs/?kind=video").content.decode()
    assert "Video " in only_videos and "(dry run)" not in only_videos


def test_another_users_job_pages_are_404(client, bob, alice_api, alice_project):
    job_id = _queued_video_job(alice_api, alice_project.id)
    client.force_login(bob)
    assert client.get(f"/jobs/{job_id}/").status_code == 404
    assert client.post(f"/jobs/{job_id}/cancel/").status_code == 404
    assert client.post(f"/jobs/{job_id}/retry/").status_code == 404
    assert Job.objects.get(pk=job_id).status == JobStatus.QUEUED
    assert str(job_id) not in client.get("/jobs/").content.decode()


TOOL_ERROR = ("FFmpeg exited with 1\n[libx264 @ 0x55d] broken frame\nError opening /srv/contentizer/data/work/"
              "3f2a/in/abc.png: No such file")


def test_authors_read_one_sentence_without_server_paths_and_operators_the_whole_log(client, alice, admin_user,
                                                                                     alice_project):
    job = Job.objects.create(kind="preview", owner=alice, project=alice_project, status=JobStatus.FAILED,
                             error=TOOL_ERROR, log_tail="frame=  10 fps=0.0\nconversion failed",
                             payload={"projectId": alice_project.id})
    client.force_login(alice)
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "FFmpeg exited with 1" in page
    assert "/srv/contentizer" not in page and "libx264" not in page and "conversion failed" not in page
    job.owner = admin_user
    job.save()
    client.force_login(admin_user)
    staff = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "Log (operators)" in staff and "/srv/contentizer/data/work" in staff and "conversion failed" in staff


def test_public_errors_drop_paths_tool_output_and_internal_details():
    assert public_error("reading asset 3f2a… failed: [Errno 2] No such file: '/data/media/assets/3f/2a/x.png'") == (
        "reading asset 3f2a… failed: [Errno 2] No such file: '(a file on the server)'")
    assert public_error("Internal error: KeyError('x')\nTraceback…") == INTERNAL
    assert public_error("step 2 (id 17): its asset 3f2a… is missing from storage.") == (
        "step 2 (id 17): its asset 3f2a… is missing from storage.")
    assert len(public_error("x" * 1000)) == 300


def test_public_errors_drop_a_quoted_path_with_spaces_whole():
    assert public_error("[Errno 30] Read-only file system: '/srv/my data/media/incoming/x y.mp4'") == (
        "[Errno 30] Read-only file system: '(a file on the server)'")
    assert public_error("The zip entry '../evil.png' is refused: it contains '..'.") == (
        "The zip entry '../evil.png' is refused: it contains '..'.")
