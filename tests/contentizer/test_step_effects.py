"""A step's effects through the API (issue 20.3): stored as given, refused with the field named,
owner-scoped."""

from __future__ import annotations

import pytest

from contentizer.models import Step
from tests.contentizer.test_domain_api import JSON, assert_error, chapter, step

FOCUS = {"x": 0.1, "y": 0.2, "w": 0.5, "h": 0.25}


@pytest.fixture
def alice_step(alice_api, alice_project) -> dict:
    return step(alice_api, chapter(alice_api, alice_project.id)["id"])


def test_a_new_step_has_no_effects(alice_step):
    assert alice_step["effects"] == {}


def test_it_patches_a_steps_effects(alice_api, alice_step):
    effects = {"focus": FOCUS, "highlight": True, "zoom": True, "blur": [{"x": 0, "y": 0, "w": 0.3, "h": 0.05}],
               "click": {"x": 0.3, "y": 0.3}}
    response = alice_api.patch(f"/api/steps/{alice_step['id']}", {"effects": effects}, **JSON)
    assert response.status_code == 200, response.json()
    assert response.json()["effects"] == effects
    assert Step.objects.get(pk=alice_step["id"]).effects == effects
    cleared = alice_api.patch(f"/api/steps/{alice_step['id']}", {"effects": {}}, **JSON)
    assert cleared.json()["effects"] == {}


@pytest.mark.parametrize(("effects", "field"), [
    ({"focus": {**FOCUS, "w": 0.95}}, "focus.w"),
    ({"zoom": True}, "zoom"),
    ({"blur": [{"x": 0.1, "y": 0.1, "w": 0, "h": 0.1}]}, "blur[0].w"),
    ({"click": {"x": 0.5}}, "click.y"),
    ({"glow": True}, "glow"),
    ([1, 2], "effects"),
])
def test_it_refuses_bad_effects_naming_the_field(alice_api, alice_step, effects, field):
    response = alice_api.patch(f"/api/steps/{alice_step['id']}", {"effects": effects}, **JSON)
    details = assert_error(response, 400, "validation_error")
    assert field in str(details["fields"]["effects"]), details
    assert Step.objects.get(pk=alice_step["id"]).effects == {}


def test_it_404s_another_users_step(bob_api, alice_step):
    response = bob_api.patch(f"/api/steps/{alice_step['id']}", {"effects": {"focus": FOCUS}}, **JSON)
    assert_error(response, 404, "not_found")
    assert Step.objects.get(pk=alice_step["id"]).effects == {}
