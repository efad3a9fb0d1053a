"""Studio: export and import buttons, with the API's checks and limits."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from contentizer.jobs.models import Job
from contentizer.models import Project
from tests.conftest import left_behind, wait_for
from tests.exports.builders import Export, asset_record, sample_images, step
from tests.previews.helpers import chapter_with_steps
from tests.studio.test_projects import _text


def test_export_starts_a_job_with_what_was_ticked(client, alice, alice_api, alice_project):
    chapter_with_steps(alice_api, alice_project.id, [{"caption": "x", "duration": 1}])
    client.force_login(alice)
    response = client.post(f"/projects/{alice_project.pk}/export", {"assets": "1", "subtitles": "1"})
    job = Job.objects.get(kind="export")
    assert response["Location"] == f"/jobs/{job.pk}/"
    assert job.payload["include"] == {"assets": True, "subtitles": True, "renders": False}


def test_export_lists_what_is_missing_like_the_api(client, alice, alice_api, alice_project):
    chapter_with_steps(alice_api, alice_project.id, [{"caption": "x", "duration": 1}])
    client.force_login(alice)
    response = client.post(f"/projects/{alice_project.pk}/export", {"assets": "1", "renders": "1"})
    api = alice_api.post("/api/export", {"projectId": alice_project.pk, "include": {"renders": True}}, format="json")
    assert response.status_code == api.status_code == 422 and not Job.objects.exists()
    text = _text(response)
    assert api.json()["error"]["message"] in text
    assert "chapter 'Chapter' has no finished render of its current steps (generate its video first)" in text


def _zip(tmp_path) -> bytes:
    images = sample_images()
    paths = [asset_record(data, *meta)["path"] for data, *meta in images]
    chapter = {"title": "Intro", "slug": "01-intro", "steps": [step("Click Save", paths[0]), step("Open", paths[1])],
               "subtitles": {}, "render": None}
    export = Export(images, [chapter])
    export.container["files"] = [f for f in export.container["files"] if f["path"].startswith("assets/")]
    export.files = {p: d for p, d in export.files.items() if p.startswith("assets/")}
    return export.write(tmp_path / "export.zip").read_bytes()


def _import(client, content: bytes) -> Job:
    response = client.post("/projects/import", {"file": SimpleUploadedFile("export.zip", content)})
    job = Job.objects.get(kind="import")
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    return job


def _ended(job: Job) -> Job:
    wait_for(lambda: Job.objects.get(pk=job.pk).finished, timeout=60)
    return Job.objects.get(pk=job.pk)


@pytest.mark.django_db(transaction=True)
def test_an_export_zip_imports_as_a_new_project_through_its_job(client, alice, tmp_path, worker):
    client.force_login(alice)
    job = _import(client, _zip(tmp_path))
    assert "The zip is uploaded" in _text(client.get(f"/jobs/{job.pk}/"))
    assert _ended(job).status == "succeeded"
    project = Project.objects.get(owner=alice)
    assert project.title == "Getting started" and project.chapters.get().steps.count() == 2
    page = client.get(f"/jobs/{job.pk}/")
    assert "Imported “Getting started” with 1 chapter and 2 assets." in _text(page)
    assert f'href="/projects/{project.pk}/"' in page.content.decode()
    wait_for(lambda: left_behind() == {"media": left_behind()["media"], "tmp": []}, timeout=10)
    assert not [name for name in left_behind()["media"] if name.startswith("imports/")]


@pytest.mark.django_db(transaction=True)
def test_a_broken_import_shows_the_apis_error_on_its_job_page_and_creates_nothing(client, alice, alice_api,
                                                                                   tmp_path, worker):
    client.force_login(alice)
    job = _import(client, b"PK\x03\x04 broken")
    assert _ended(job).status == "failed"
    failure = alice_api.get(f"/api/v1/jobs/{job.pk}").json()["failure"]
    assert failure["code"] == "invalid_zip"
    assert failure["message"] in _text(client.get(f"/jobs/{job.pk}/"))
    assert not Project.objects.exists()
    wait_for(lambda: left_behind() == {"media": [], "tmp": []}, timeout=10)


def test_an_import_without_a_file_asks_for_one(client, alice):
    client.force_login(alice)
    response = client.post("/projects/import", {})
    assert response.status_code == 400 and "Choose an export zip to import." in _text(response)
