"""Studio: a step's effects typed into its card without JavaScript (the boxes the drawing script
fills), saved through the same serializer and service as the API."""

from __future__ import annotations

import pytest

from contentizer.models import Step
from tests.studio.test_editor import _step_form, bilingual  # noqa: F401 (a fixture)

EFFECTS = {"effects-form": "1", "effects-focus-x": "0.1", "effects-focus-y": "0.2", "effects-focus-w": "0.5",
           "effects-focus-h": "0.25", "effects-zoom": "1", "effects-blur": "0 0 0.3 0.05; 0.5 0.9 0.2 0.1",
           "effects-click-x": "0.4", "effects-click-y": "0.3"}


@pytest.fixture
def step_id(alice_api, bilingual) -> int:  # noqa: F811
    _, chapter_id = bilingual
    return alice_api.post(f"/api/chapters/{chapter_id}/steps", {"caption": "Sign in"}, format="json").json()["id"]


def test_effects_typed_into_a_card_are_saved(client, alice, step_id):
    client.force_login(alice)
    response = client.post(f"/steps/{step_id}/", _step_form(caption="Sign in", **EFFECTS))
    assert response.status_code == 302
    assert Step.objects.get().effects == {
        "focus": {"x": 0.1, "y": 0.2, "w": 0.5, "h": 0.25}, "zoom": True,
        "blur": [{"x": 0, "y": 0, "w": 0.3, "h": 0.05}, {"x": 0.5, "y": 0.9, "w": 0.2, "h": 0.1}],
        "click": {"x": 0.4, "y": 0.3}}
    page = client.get(response["Location"].split("#")[0]).content.decode()
    assert 'name="effects-blur" value="0 0 0.3 0.05; 0.5 0.9 0.2 0.1"' in page
    assert 'name="effects-zoom" value="1" checked' in page


def test_a_card_without_the_effects_fields_leaves_the_effects_alone(client, alice, step_id):
    Step.objects.filter(pk=step_id).update(effects={"click": {"x": 0.5, "y": 0.5}})
    client.force_login(alice)
    client.post(f"/steps/{step_id}/", _step_form(caption="Sign in"))
    assert Step.objects.get().effects == {"click": {"x": 0.5, "y": 0.5}}


def test_bad_effects_are_shown_in_the_card_in_the_apis_words(client, alice, step_id):
    client.force_login(alice)
    response = client.post(f"/steps/{step_id}/", _step_form(caption="Sign in", **{
        **EFFECTS, "effects-focus-w": "0.95", "effects-blur": "0 0 0.3"}))
    assert response.status_code == 400 and Step.objects.get().effects == {}
    html = response.content.decode()
    assert "focus.w: the region runs past the picture" in html and "blur[0].h: is required" in html
    assert 'name="effects-focus-w" value="0.95"' in html  # what the author typed stays
