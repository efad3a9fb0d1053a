"""A step is added after any step and duplicated, through the API (issue 20.1); the editor's autosave
answers JSON and saves only through the step's own rules."""

from __future__ import annotations

import pytest

from contentizer.models import Step
from tests.previews.helpers import chapter_with_steps

pytestmark = pytest.mark.django_db


def _captions(api, chapter_id: int) -> list[str]:
    return [s["caption"]["en"] for s in api.get(f"/api/chapters/{chapter_id}/steps").json()["results"]]


def test_a_step_goes_after_the_step_named_and_the_rest_move_down(alice_api, alice_project):
    chapter = chapter_with_steps(alice_api, alice_project.id, [{"caption": c} for c in ("One", "Two", "Three")])
    first = alice_api.get(f"/api/chapters/{chapter['id']}/steps").json()["results"][0]
    created = alice_api.post(f"/api/chapters/{chapter['id']}/steps?after={first['id']}", {"caption": "Between"},
                             format="json")
    assert created.status_code == 201 and created.json()["position"] == 1
    assert _captions(alice_api, chapter["id"]) == ["One", "Between", "Two", "Three"]
    at_end = alice_api.post(f"/api/chapters/{chapter['id']}/steps", {"caption": "Last"}, format="json")
    assert at_end.json()["position"] == 4


def test_after_must_be_a_step_of_the_same_chapter(alice_api, alice_project, bob_api, bob_project):
    chapter = chapter_with_steps(alice_api, alice_project.id, [{"caption": "One"}])
    other = chapter_with_steps(alice_api, alice_project.id, [{"caption": "Elsewhere"}])
    elsewhere = alice_api.get(f"/api/chapters/{other['id']}/steps").json()["results"][0]
    refused = alice_api.post(f"/api/chapters/{chapter['id']}/steps?after={elsewhere['id']}", {"caption": "x"},
                             format="json")
    assert refused.status_code == 400 and refused.json()["error"]["details"]["fields"]["after"]
    garbled = alice_api.post(f"/api/chapters/{chapter['id']}/steps?after=two", {"caption": "x"}, format="json")
    assert garbled.status_code == 400 and "after" in garbled.json()["error"]["message"]
    bobs = chapter_with_steps(bob_api, bob_project.id, [{"caption": "Bob's"}])
    bob_step = bob_api.get(f"/api/chapters/{bobs['id']}/steps").json()["results"][0]
    assert alice_api.post(f"/api/chapters/{chapter['id']}/steps?after={bob_step['id']}", {"caption": "x"},
                          format="json").status_code == 404
    assert _captions(alice_api, chapter["id"]) == ["One"], "nothing was added by a refused request"


def test_a_duplicate_copies_every_field_right_after_its_step(alice_api, alice_project, bob_api):
    chapter = chapter_with_steps(alice_api, alice_project.id, [
        {"caption": {"en": "Open", "de": "Öffnen"}, "narration": {"en": "Open it.", "de": "Öffnen."},
         "duration": 3.5, "transition": "dissolve", "transitionDuration": 0.4},
        {"caption": "Close"}])
    source = alice_api.get(f"/api/chapters/{chapter['id']}/steps").json()["results"][0]
    copy = alice_api.post(f"/api/steps/{source['id']}/duplicate")
    assert copy.status_code == 201
    body = copy.json()
    assert body["id"] != source["id"] and body["position"] == 1
    for field in ("caption", "narration", "duration", "transition", "transitionDuration", "asset",
                  "machineTranslated"):
        assert body[field] == source[field], field
    assert [s["position"] for s in alice_api.get(f"/api/chapters/{chapter['id']}/steps").json()["results"]] == [0, 1, 2]
    assert bob_api.post(f"/api/steps/{source['id']}/duplicate").status_code == 404
    assert Step.objects.count() == 3


def test_the_editors_autosave_answers_json(client, alice, alice_api, alice_project):
    chapter = chapter_with_steps(alice_api, alice_project.id, [{"caption": "One", "duration": 2}])
    step = Step.objects.get()
    client.force_login(alice)
    saved = client.post(f"/steps/{step.pk}/", {"caption-en": "Uno", "duration": "2.5", "transition": "cut",
                                               "transitionDuration": "0.5", "asset": ""}, HTTP_X_AUTOSAVE="1")
    assert saved.status_code == 200 and saved.json()["saved"] is True
    step.refresh_from_db()
    assert (step.caption, step.duration) == ({"en": "Uno"}, 2.5)
    refused = client.post(f"/steps/{step.pk}/", {"caption-en": "Dos", "duration": "0", "transition": "cut",
                                                 "transitionDuration": "0.5", "asset": ""}, HTTP_X_AUTOSAVE="1")
    assert refused.status_code == 400 and refused.json()["saved"] is False
    assert "greater than or equal to 0.1" in refused.json()["errors"]["duration"][0]
    step.refresh_from_db()
    assert step.caption == {"en": "Uno"}, "a refused save changes nothing"
    assert chapter["id"] == step.chapter_id
