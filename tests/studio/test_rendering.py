"""Studio: preview and generate from the chapter, with the API's services and checks."""

from __future__ import annotations

import re

import pytest

from contentizer.jobs.models import Job
from contentizer.models import Project
from previews.api.video_views import VideoGenerateInputSerializer
from previews.models import Video
from tests import media
from tests.conftest import wait_for
from tests.previews.helpers import chapter_with_steps, upload
from tests.studio.test_projects import _text


@pytest.fixture
def project(alice) -> Project:
    return Project.objects.create(owner=alice, title="Bikes", languages=["en", "de", "fr"])


def _chapter(api, project: Project, **narration) -> int:
    return chapter_with_steps(api, project.pk, [
        {"caption": {"en": "Wheel", "de": "Rad"}, "duration": 1,
         "narration": narration or {"de": "Rad.", "en": "Wheel."}}])["id"]


def test_a_dry_run_from_the_chapter_opens_its_manifest(client, alice, alice_api, project):
    chapter = _chapter(alice_api, project)
    client.force_login(alice)
    response = client.post(f"/chapters/{chapter}/preview/", {"dry_run": "1"})
    job = Job.objects.get()
    assert response["Location"] == f"/jobs/{job.pk}/" and job.payload["dryRun"] is True
    assert "Manifest" in _text(client.get(response["Location"]))


def test_a_preview_is_queued_and_the_chapter_follows_it_live(client, alice, alice_api, project):
    chapter = _chapter(alice_api, project)
    client.force_login(alice)
    response = client.post(f"/chapters/{chapter}/preview/")
    job = Job.objects.get()
    assert response["Location"] == f"/chapters/{chapter}/#preview" and job.kind == "preview"
    html = client.get(f"/chapters/{chapter}/").content.decode()
    assert f'data-job-id="{job.pk}" data-job-live="1"' in html
    assert 'Cancel <span class="visually-hidden">Preview' in html


def test_a_chapter_that_cannot_be_previewed_says_why(client, alice, alice_api, project):
    chapter = alice_api.post(f"/api/projects/{project.pk}/chapters", {"title": "Empty"}, format="json").json()
    client.force_login(alice)
    response = client.post(f"/chapters/{chapter['id']}/preview/", follow=True)
    assert "The preview cannot be rendered" in _text(response) and not Job.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_preview_plays_inline_in_the_chapter_when_ready(client, alice, alice_api, project, worker):
    image = upload(alice_api, project.pk, "wheel.png", media.image_bytes("PNG"))
    chapter = chapter_with_steps(alice_api, project.pk, [{"caption": "Wheel", "asset": image["id"], "duration": 1}])
    client.force_login(alice)
    client.post(f"/chapters/{chapter['id']}/preview/")
    job = Job.objects.get()
    wait_for(lambda: Job.objects.get(pk=job.pk).finished, timeout=90)
    html = client.get(f"/chapters/{chapter['id']}/").content.decode()
    assert f'<video class="player" controls preload="metadata" src="/api/preview/{job.pk}/artifact"' in html
    assert client.get(f"/api/preview/{job.pk}/artifact").status_code == 200


def test_generate_offers_the_project_languages_in_order_and_the_apis_resolutions(client, alice, alice_api, project):
    chapter = _chapter(alice_api, project)
    client.force_login(alice)
    response = client.get(f"/chapters/{chapter}/video/")
    html = response.content.decode()
    boxes = re.findall(r'<input type="checkbox" name="languages" value="([\w-]+)"( checked)?>', html)
    assert boxes == [("en", " checked"), ("de", " checked"), ("fr", "")]
    assert "French (fr, no narration yet)" in _text(response)
    resolutions = re.findall(r'name="resolution" value="(\w+)"', html)
    assert resolutions == list(VideoGenerateInputSerializer().fields["resolution"].choices)
    aspects = re.findall(r'name="aspect" value="([\d:]+)"( checked)?>', html)
    assert aspects == [("16:9", " checked"), ("9:16", ""), ("1:1", "")]
    assert list(VideoGenerateInputSerializer().fields["aspect"].choices) == [a for a, _ in aspects]


def test_generate_queues_the_video_in_the_order_the_languages_are_listed(client, alice, alice_api, project):
    chapter = _chapter(alice_api, project)
    client.force_login(alice)
    response = client.post(f"/chapters/{chapter}/video/", {"languages": ["en", "de"], "resolution": "720p",
                                                           "music": "", "volume": "0.3"})
    video = Video.objects.get()
    assert response["Location"] == f"/jobs/{video.job_id}/"
    assert (video.languages, video.height, video.aspect, video.music) == (["en", "de"], 720, "16:9", {})


def test_generate_makes_a_portrait_video_when_asked(client, alice, alice_api, project):
    chapter = _chapter(alice_api, project)
    client.force_login(alice)
    client.post(f"/chapters/{chapter}/video/", {"languages": ["en"], "resolution": "480p", "aspect": "9:16"})
    video = Video.objects.get()
    assert (video.height, video.aspect, video.job.payload["aspect"]) == (480, "9:16", "9:16")


def test_generate_shows_the_apis_errors_beside_the_fields(client, alice, alice_api, project, av_dir):
    chapter = _chapter(alice_api, project)
    tone = upload(alice_api, project.pk, "tone.wav", (av_dir / "tone.wav").read_bytes())
    client.force_login(alice)
    response = client.post(f"/chapters/{chapter}/video/", {"resolution": "4k", "music": str(tone["id"]),
                                                           "volume": "7"})
    html = response.content.decode()
    assert response.status_code == 400 and not Video.objects.exists()
    assert re.search(r'id="gen-resolution-error">&quot;4k&quot; is not a valid choice\.<', html)
    assert re.search(r'id="gen-music-volume-error">Ensure this value is less than or equal to 2\.<', html)
    silent = client.post(f"/chapters/{chapter}/video/", {"languages": ["fr"], "resolution": "720p", "volume": "0.3"})
    assert silent.status_code == 422
    assert re.search(r'id="gen-languages-error">No step is narrated in: fr\.<', silent.content.decode())


def test_music_must_be_an_audio_asset_of_the_project(client, alice, alice_api, project):
    chapter = _chapter(alice_api, project)
    image = upload(alice_api, project.pk, "wheel.png", media.image_bytes("PNG"))
    client.force_login(alice)
    response = client.post(f"/chapters/{chapter}/video/", {"languages": ["en"], "resolution": "720p",
                                                           "music": str(image["id"]), "volume": "0.3"})
    assert response.status_code == 422
    assert re.search(r'id="gen-music-asset-error">not an audio asset of this project<', response.content.decode())
