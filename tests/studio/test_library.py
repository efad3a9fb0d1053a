"""Studio: the asset library (browse by kind, usage, delete with the reason, the plain upload)."""

from __future__ import annotations

import re

from django.core.files.uploadedfile import SimpleUploadedFile

from assets.models import Asset
from tests import media
from tests.conftest import left_behind
from tests.previews.helpers import chapter_with_steps, upload
from tests.studio.test_projects import _text


def test_an_empty_library_says_what_to_upload(client, alice, alice_project):
    client.force_login(alice)
    text = _text(client.get(f"/projects/{alice_project.pk}/assets/"))
    assert "The library is empty." in text and "Choose files" in text


def test_the_library_shows_thumbnails_kinds_and_which_steps_use_each_asset(client, alice, alice_api, alice_project,
                                                                          av_dir):
    image = upload(alice_api, alice_project.id, "wheel.png", media.image_bytes("PNG"))
    tone = upload(alice_api, alice_project.id, "tone.wav", (av_dir / "tone.wav").read_bytes())
    chapter_with_steps(alice_api, alice_project.id, [{"duration": 1}, {"asset": image["id"], "duration": 1}])
    client.force_login(alice)
    response = client.get(f"/projects/{alice_project.pk}/assets/")
    html, text = response.content.decode(), _text(response)
    assert f'<img src="/api/assets/{image["id"]}/thumbnail"' in html
    assert re.search(r"wheel\.png Image · [\d.]+ (bytes|KB) · 640×480 Used by: “Chapter”, step 2", text), text
    assert re.search(r"tone\.wav Audio · [\d.]+ KB · 0:01 Not used by any step\.", text), text
    only_audio = _text(client.get(f"/projects/{alice_project.pk}/assets/?kind=audio"))
    assert "tone.wav" in only_audio and "wheel.png" not in only_audio
    assert "No video files in this project." in _text(client.get(f"/projects/{alice_project.pk}/assets/?kind=video"))
    assert tone["kind"] == "audio"


def test_an_asset_in_use_is_not_deleted_and_the_page_says_why_and_where(client, alice, alice_api, alice_project):
    image = upload(alice_api, alice_project.id, "wheel.png", media.image_bytes("PNG"))
    chapter_with_steps(alice_api, alice_project.id, [{"asset": image["id"], "duration": 1}])
    client.force_login(alice)
    response = client.post(f"/projects/{alice_project.pk}/assets/{image['id']}/delete", follow=True)
    assert ("wheel.png was not deleted. The asset is used by 1 step(s); change those steps first. "
            "Used in: “Chapter”, step 1.") in _text(response)
    assert Asset.objects.filter(pk=image["id"]).exists()


def test_an_unused_asset_is_deleted(client, alice, alice_api, alice_project):
    image = upload(alice_api, alice_project.id, "wheel.png", media.image_bytes("PNG"))
    client.force_login(alice)
    response = client.post(f"/projects/{alice_project.pk}/assets/{image['id']}/delete", follow=True)
    assert "wheel.png deleted from the library." in _text(response) and not Asset.objects.exists()


def test_the_plain_upload_form_uses_the_same_ingest_and_reports_duplicates(client, alice, alice_project):
    client.force_login(alice)
    picture = media.image_bytes("PNG", color=(3, 4, 5))
    first = client.post(f"/projects/{alice_project.pk}/assets/upload",
                        {"file": SimpleUploadedFile("a.png", picture)}, follow=True)
    assert "a.png uploaded." in _text(first)
    again = client.post(f"/projects/{alice_project.pk}/assets/upload",
                        {"file": SimpleUploadedFile("b.png", picture)}, follow=True)
    assert "a.png was already in the library." in _text(again) and Asset.objects.count() == 1


def test_the_plain_upload_form_shows_the_apis_refusal_and_keeps_nothing(client, alice, alice_project):
    client.force_login(alice)
    response = client.post(f"/projects/{alice_project.pk}/assets/upload",
                           {"file": SimpleUploadedFile("x.png", b"ffconcat version 1.0\nfile '/etc/passwd'\n")})
    assert response.status_code == 415
    assert "Files of type text/x-ffconcat are not accepted." in _text(response)
    assert left_behind() == {"media": [], "tmp": []} and not Asset.objects.exists()


def test_another_users_library_and_assets_are_404(client, bob, alice_api, alice_project, bob_project):
    image = upload(alice_api, alice_project.id, "wheel.png", media.image_bytes("PNG"))
    client.force_login(bob)
    assert client.get(f"/projects/{alice_project.pk}/assets/").status_code == 404
    assert client.post(f"/projects/{alice_project.pk}/assets/{image['id']}/delete").status_code == 404
    assert client.post(f"/projects/{bob_project.pk}/assets/{image['id']}/delete").status_code == 404
    assert client.post(f"/projects/{alice_project.pk}/assets/upload",
                       {"file": SimpleUploadedFile("x.png", media.image_bytes("PNG"))}).status_code == 404
    assert Asset.objects.count() == 1
