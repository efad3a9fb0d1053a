"""Studio: export and import buttons, with the API's checks and limits."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from contentizer.jobs.models import Job
from contentizer.models import Project
from tests.conftest import left_behind
from tests.exports.test_import import Export, _asset, _images, _step
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
    images = _images()
    paths = [_asset(data, *meta)["path"] for data, *meta in images]
    chapter = {"title": "Intro", "slug": "01-intro", "steps": [_step("Click Save", paths[0]), _step("Open", paths[1])],
               "subtitles": {}, "render": None}
    export = Export(images, [chapter])
    export.container["files"] = [f for f in export.container["files"] if f["path"].startswith("assets/")]
    export.files = {p: d for p, d in export.files.items() if p.startswith("assets/")}
    return export.write(tmp_path / "export.zip").read_bytes()


def test_an_export_zip_imports_as_a_new_project(client, alice, tmp_path):
    client.force_login(alice)
    response = client.post("/projects/import", {"file": SimpleUploadedFile("export.zip", _zip(tmp_path))})
    project = Project.objects.get(owner=alice)
    assert response["Location"] == f"/projects/{project.pk}/"
    assert project.title == "Getting started" and project.chapters.get().steps.count() == 2
    assert left_behind()["tmp"] == []


def test_a_broken_import_shows_the_apis_error_and_creates_nothing(client, alice, alice_api, tmp_path):
    client.force_login(alice)
    response = client.post("/projects/import", {"file": SimpleUploadedFile("export.zip", b"PK\x03\x04 broken")})
    api = alice_api.post("/api/import", {"file": SimpleUploadedFile("export.zip", b"PK\x03\x04 broken")},
                         format="multipart")
    assert response.status_code == api.status_code == 400
    assert api.json()["error"]["message"] in _text(response)
    assert 'aria-invalid="true" aria-describedby="import-error"' in response.content.decode()
    assert not Project.objects.exists() and left_behind() == {"media": [], "tmp": []}


def test_an_import_without_a_file_asks_for_one(client, alice):
    client.force_login(alice)
    response = client.post("/projects/import", {})
    assert response.status_code == 400 and "Choose an export zip to import." in _text(response)
