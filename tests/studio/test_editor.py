"""Studio: the chapter editor (steps as cards: narration per language, asset, order, errors)."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

import contentizer.transitions
from assets.models import Asset, Blob
from contentizer.models import Project, Step
from tests import media
from tests.conftest import left_behind
from tests.previews.helpers import upload
from tests.studio.test_projects import _text

NOTHING = {"media": [], "tmp": []}


@pytest.fixture
def bilingual(alice, alice_api):
    project = Project.objects.create(owner=alice, title="Bilingual", languages=["en", "de"])
    chapter = alice_api.post(f"/api/projects/{project.pk}/chapters", {"title": "Basics"}, format="json").json()
    return project, chapter["id"]


def _step_form(**fields) -> dict:
    return {"caption": "", "narration-en": "", "narration-de": "", "duration": "3", "transition": "cut",
            "transitionDuration": "0.5", "asset": "", **fields}


def _error(html: str, prefix: str, field: str) -> str:
    match = re.search(rf'id="{re.escape(prefix)}{field}-error">([^<]+)<', html)
    return match.group(1) if match else ""


def test_the_editor_has_a_narration_field_per_project_language_in_order(client, alice, bilingual):
    project, chapter_id = bilingual
    client.force_login(alice)
    html = client.get(f"/chapters/{chapter_id}/").content.decode()
    labels = re.findall(r'<label for="new-narration-(\w+)">Narration \((\w+)\)</label>', html)
    assert labels == [("en", "English"), ("de", "German")]
    transitions = re.findall(r'<option value="(\w+)"', html.split('id="new-transition"')[1].split("</select>")[0])
    assert transitions == contentizer.transitions.names()  # the one list, whatever it holds


def test_a_step_is_added_with_narration_in_both_languages(client, alice, alice_api, bilingual):
    project, chapter_id = bilingual
    image = upload(alice_api, project.pk, "wheel.png", media.image_bytes("PNG"))
    client.force_login(alice)
    response = client.post(f"/chapters/{chapter_id}/steps", _step_form(
        caption="Remove the wheel", **{"narration-en": "Loosen the nuts.", "narration-de": "Lösen Sie die Muttern."},
        duration="2.5", transition="dissolve", transitionDuration="0.4", asset=str(image["id"])))
    step = Step.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/chapters/{chapter_id}/#step-{step.pk}"
    assert (step.caption_in("en"), step.narration, step.duration, step.transition, step.transition_duration,
            step.asset_id) == ("Remove the wheel", {"en": "Loosen the nuts.", "de": "Lösen Sie die Muttern."},
                               2.5, "dissolve", 0.4, image["id"])
    assert alice_api.get(f"/api/steps/{step.pk}").json()["narration"] == step.narration


def test_all_errors_of_a_step_appear_beside_their_fields_in_the_apis_words(client, alice, alice_api, bilingual,
                                                                            bob_project, bob_api):
    project, chapter_id = bilingual
    bobs = upload(bob_api, bob_project.id, "bob.png", media.image_bytes("PNG", color=(1, 1, 1)))
    client.force_login(alice)
    form = _step_form(**{"caption-en": "x" * 2001}, duration="0", transition="spin", transitionDuration="9",
                      asset=str(bobs["id"]), **{"narration-en": "y" * 5001})
    response = client.post(f"/chapters/{chapter_id}/steps", form)
    assert response.status_code == 400 and Step.objects.count() == 0
    html = response.content.decode()
    api = alice_api.post(f"/api/chapters/{chapter_id}/steps", {
        "caption": {"en": "x" * 2001}, "duration": 0, "transition": "spin", "transitionDuration": 9,
        "asset": bobs["id"], "narration": {"en": "y" * 5001}}, format="json").json()["error"]["details"]["fields"]
    assert _error(html, "new-", "caption-en") == api["caption"]["en"][0] == (
        "Ensure this field has no more than 2000 characters.")
    assert _error(html, "new-", "duration") == api["duration"][0]
    assert _error(html, "new-", "transition") == api["transition"][0].replace('"', "&quot;")
    assert _error(html, "new-", "transitionDuration") == api["transitionDuration"][0]
    assert _error(html, "new-", "asset") == api["asset"][0].replace('"', "&quot;")
    assert _error(html, "new-", "narration-en") == api["narration"]["en"][0]
    assert "6 problems to fix:" in _text(response)
    assert 'id="new-caption-en" name="caption-en" rows="2" lang="en" aria-invalid="true"' in html


def test_saving_a_step_changes_only_what_the_card_holds(client, alice, alice_api, bilingual):
    project, chapter_id = bilingual
    step = alice_api.post(f"/api/chapters/{chapter_id}/steps", {
        "caption": "Old", "narration": {"en": "Old words.", "fr": "Vieux mots."}, "duration": 4}, format="json").json()
    client.force_login(alice)
    page = client.get(f"/chapters/{chapter_id}/").content.decode()
    assert "Narration (French)" in page  # a language outside the project is shown, not lost
    response = client.post(f"/steps/{step['id']}/", _step_form(
        caption="New", duration="4", **{"narration-en": "New words.", "narration-de": "Neue Worte.",
                                        "narration-fr": "Vieux mots."}))
    assert response.status_code == 302
    saved = Step.objects.get()
    assert saved.caption == {"en": "New"}
    assert saved.narration == {"en": "New words.", "de": "Neue Worte.", "fr": "Vieux mots."}
    client.post(f"/steps/{step['id']}/", _step_form(caption="New", duration="4", **{"narration-en": "Only this."}))
    assert Step.objects.get().narration == {"en": "Only this."}  # emptied fields remove their language


def test_a_file_uploaded_in_a_card_goes_through_the_same_ingest_and_becomes_the_steps_asset(client, alice, bilingual):
    project, chapter_id = bilingual
    client.force_login(alice)
    form = _step_form(caption="With a new picture", upload=SimpleUploadedFile("fresh.png", media.image_bytes("PNG")))
    response = client.post(f"/chapters/{chapter_id}/steps", form)
    assert response.status_code == 302
    step = Step.objects.get()
    assert step.asset.original_name == "fresh.png" and step.asset.project_id == project.pk


def test_a_refused_file_in_a_card_shows_the_apis_message_and_keeps_nothing(client, alice, alice_api, bilingual):
    project, chapter_id = bilingual
    client.force_login(alice)
    html_file = b"<!DOCTYPE html><html><body>not a picture</body></html>"
    response = client.post(f"/chapters/{chapter_id}/steps", _step_form(
        caption="Kept", upload=SimpleUploadedFile("fake.png", html_file)))
    assert response.status_code == 415 and Step.objects.count() == 0
    direct = alice_api.post(f"/api/projects/{project.pk}/assets",
                            {"file": SimpleUploadedFile("fake.png", html_file)}, format="multipart").json()
    assert _error(response.content.decode(), "new-", "upload") == direct["error"]["message"]
    assert ">Kept</textarea>" in response.content.decode()
    assert Blob.objects.count() == 0 and left_behind() == NOTHING


def test_a_body_over_the_upload_limit_is_a_clear_413_page_not_a_server_error(client, alice, bilingual, settings):
    project, chapter_id = bilingual
    settings.ASSET_MAX_BYTES = {kind: 1000 for kind in settings.ASSET_MAX_BYTES}
    client.force_login(alice)
    response = client.post(f"/chapters/{chapter_id}/steps", _step_form(
        upload=SimpleUploadedFile("big.png", media.noise_png((200, 200)))))
    assert response.status_code == 413
    assert "The upload was refused" in _text(response) and "larger than the largest allowed asset" in _text(response)
    assert Step.objects.count() == 0 and left_behind() == NOTHING


def test_a_forged_multipart_post_is_refused_by_the_csrf_check(alice, bilingual):
    from django.test import Client

    project, chapter_id = bilingual
    forger = Client(enforce_csrf_checks=True)
    forger.force_login(alice)
    response = forger.post(f"/chapters/{chapter_id}/steps", _step_form(
        upload=SimpleUploadedFile("x.png", media.image_bytes("PNG"))))
    assert response.status_code == 403 and Step.objects.count() == 0 and Asset.objects.count() == 0


def _three_steps(alice_api, project, chapter_id) -> list[int]:
    url = f"/api/chapters/{chapter_id}/steps"
    captions = ("one", "two", "three")
    return [alice_api.post(url, {"caption": c, "duration": 1}, format="json").json()["id"] for c in captions]


def _order(chapter_id) -> list[str]:
    return list(Step.objects.filter(chapter_id=chapter_id).order_by("position").values_list("caption__en", flat=True))


def test_steps_move_up_and_down_with_buttons(client, alice, alice_api, bilingual):
    project, chapter_id = bilingual
    ids = _three_steps(alice_api, project, chapter_id)
    client.force_login(alice)
    response = client.post(f"/steps/{ids[2]}/move", {"direction": "up"})
    assert response["Location"] == f"/chapters/{chapter_id}/#step-{ids[2]}"
    assert _order(chapter_id) == ["one", "three", "two"]
    client.post(f"/steps/{ids[0]}/move", {"direction": "down"})
    assert _order(chapter_id) == ["three", "one", "two"]
    client.post(f"/steps/{ids[2]}/move", {"direction": "up"})  # already first: nothing moves
    assert _order(chapter_id) == ["three", "one", "two"]
    page = client.get(f"/chapters/{chapter_id}/").content.decode()
    assert re.findall(r"<h3 id=\"s\d+-heading\">Step (\d)</h3>", page) == ["1", "2", "3"]


def test_a_drag_and_drop_order_goes_through_the_apis_reorder(client, alice, alice_api, bilingual):
    project, chapter_id = bilingual
    ids = _three_steps(alice_api, project, chapter_id)
    client.force_login(alice)
    client.post(f"/chapters/{chapter_id}/steps/reorder", {"order": f"{ids[1]},{ids[2]},{ids[0]}"})
    assert _order(chapter_id) == ["two", "three", "one"]
    response = client.post(f"/chapters/{chapter_id}/steps/reorder", {"order": f"{ids[1]},{ids[2]}"}, follow=True)
    assert "order must list every id exactly once." in _text(response)
    assert _order(chapter_id) == ["two", "three", "one"]


def test_a_step_is_deleted_and_the_others_close_the_gap(client, alice, alice_api, bilingual):
    project, chapter_id = bilingual
    ids = _three_steps(alice_api, project, chapter_id)
    client.force_login(alice)
    client.post(f"/steps/{ids[1]}/delete")
    assert list(Step.objects.order_by("position").values_list("caption__en", "position")) == [("one", 0), ("three", 1)]


def test_another_users_steps_are_404(client, bob, alice_api, bilingual):
    project, chapter_id = bilingual
    ids = _three_steps(alice_api, project, chapter_id)
    client.force_login(bob)
    for path in (f"/steps/{ids[0]}/", f"/steps/{ids[0]}/delete", f"/steps/{ids[0]}/move",
                 f"/chapters/{chapter_id}/steps/reorder"):
        assert client.post(path, _step_form(caption="mine", order=",".join(map(str, ids[::-1])))).status_code == 404
    assert _order(chapter_id) == ["one", "two", "three"]
