"""A step's effects travel in container.json: exported when a step has them, imported as they were,
refused with the field named when they are not valid."""

from __future__ import annotations

import pytest

from contentizer import services
from contentizer.api.errors import http_status
from contentizer.errors import ApplicationError
from contentizer.models import Step
from exports.importing import import_project
from exports.services import _step

EFFECTS = {"focus": {"x": 0.1, "y": 0.2, "w": 0.5, "h": 0.25}, "zoom": True, "blur": [{"x": 0, "y": 0, "w": 0.3,
                                                                                    "h": 0.05}]}


def test_an_exported_step_carries_its_effects_and_a_plain_one_none(alice_project):
    chapter = services.chapter_create(project=alice_project, title="Intro")
    step = services.step_create(chapter=chapter, caption="One", effects=EFFECTS)
    plain = services.step_create(chapter=chapter, caption="Two")
    assert _step(step, None, {})["effects"] == EFFECTS
    assert "effects" not in _step(plain, None, {})


def test_an_imported_step_keeps_its_effects(alice, zips, export):
    export.container["chapters"][0]["steps"][0]["effects"] = EFFECTS
    project = import_project(owner=alice, source=export.write(zips / "fx.zip"))
    steps = Step.objects.filter(chapter__project=project).order_by("position")
    assert steps[0].effects == EFFECTS and steps[1].effects == {}


def test_an_import_with_bad_effects_is_refused_naming_the_field(alice, zips, export):
    export.container["chapters"][0]["steps"][0]["effects"] = {"zoom": True}
    with pytest.raises(ApplicationError) as caught:
        import_project(owner=alice, source=export.write(zips / "bad.zip"))
    assert http_status(caught.value) in (400, 422)
    assert "effects" in caught.value.message and "zoom" in caught.value.message, caught.value.message
