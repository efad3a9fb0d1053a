"""A step's caption holds one text per language, like its narration (issue 18.1)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from contentizer.models import Project, Step

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_languages(alice_api, alice) -> dict:
    project = alice_api.post("/api/projects", {"title": "Tyres", "languages": ["en", "de"]}, format="json").json()
    return alice_api.post(f"/api/projects/{project['id']}/chapters", {"title": "Wheel"}, format="json").json()


def _step(api, chapter: dict, **fields) -> dict:
    response = api.post(f"/api/chapters/{chapter['id']}/steps", {"duration": 2, **fields}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_a_caption_per_language_is_kept_and_answered_as_given(alice_api, two_languages):
    body = _step(alice_api, two_languages, caption={"en": "Save", "de": "Speichern"})
    assert body["caption"] == {"en": "Save", "de": "Speichern"}
    assert Step.objects.get(pk=body["id"]).caption_in("de") == "Speichern"
    assert body["machineTranslated"] == {}


def test_a_plain_string_is_the_first_language_and_leaves_the_others_alone(alice_api, two_languages):
    body = _step(alice_api, two_languages, caption="Save")
    assert body["caption"] == {"en": "Save"}
    alice_api.patch(f"/api/steps/{body['id']}", {"caption": {"en": "Save", "de": "Speichern"}}, format="json")
    patched = alice_api.patch(f"/api/steps/{body['id']}", {"caption": "Save it"}, format="json")
    assert patched.status_code == 200
    assert patched.json()["caption"] == {"en": "Save it", "de": "Speichern"}


@pytest.mark.parametrize(("caption", "message"), [
    (["Save"], "Give an object of language code to text, or a string."),
    ({"en": 3}, "Give an object of language code to text, or a string."),
    ({"en": "x" * 2001}, "Ensure this field has no more than 2000 characters."),
    ({"english": "Save"}, "english"),
])
def test_a_caption_of_another_shape_is_a_400_naming_the_field(alice_api, two_languages, caption, message):
    response = alice_api.post(f"/api/chapters/{two_languages['id']}/steps", {"caption": caption}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    problems = error["details"]["fields"]["caption"]
    assert message in " ".join(problems if isinstance(problems, list) else [m for ms in problems.values() for m in ms])
    assert not Step.objects.exists()


def test_machine_translated_marks_are_read_only(alice_api, two_languages):
    body = _step(alice_api, two_languages, caption="Save")
    response = alice_api.patch(f"/api/steps/{body['id']}", {"machineTranslated": {"caption": ["de"]}}, format="json")
    assert response.status_code == 200 and response.json()["machineTranslated"] == {}
    assert Step.objects.get(pk=body["id"]).machine_translated == {}


def test_a_string_assigned_in_code_is_stored_as_the_first_language(alice):
    project = Project.objects.create(owner=alice, title="T", languages=["de", "en"])
    step = Step.objects.create(chapter=project.chapters.create(title="C", position=0), position=0, caption="Rad")
    step.refresh_from_db()
    assert (step.caption, step.caption_in("de"), step.caption_in("en")) == ({"de": "Rad"}, "Rad", "")
    step.mark_machine_translated("caption", "en")
    step.mark_machine_translated("caption", "en")
    assert step.machine_translated == {"caption": ["en"]} and step.is_machine_translated("caption", "en")
    step.clear_machine_translated("caption", "en")
    assert step.machine_translated == {} and not step.is_machine_translated("caption", "en")


BEFORE = [("contentizer", "0009_cache_table")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_each_caption_to_its_projects_first_language():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    owner = old.get_model("auth", "User").objects.create(username="alice")
    Project, Chapter, Step = (old.get_model("contentizer", name) for name in ("Project", "Chapter", "Step"))
    german = Chapter.objects.create(project=Project.objects.create(owner=owner, title="A", languages=["de", "en"]),
                                    title="C", position=0)
    english = Chapter.objects.create(project=Project.objects.create(owner=owner, title="B", languages=["en"]),
                                     title="C", position=0)
    Step.objects.create(chapter=german, position=0, caption="Rad abnehmen", narration={"de": "Los."})
    Step.objects.create(chapter=english, position=0, caption="", narration={})
    Step.objects.create(chapter=english, position=1, caption='Quote " and ü', narration={})

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    from contentizer.models import Step as Current

    assert [(s.caption, s.machine_translated) for s in Current.objects.order_by("chapter_id", "position")] == [
        ({"de": "Rad abnehmen"}, {}), ({}, {}), ({"en": 'Quote " and ü'}, {})]


def test_videos_made_before_captions_had_languages_stay_up_to_date(alice):
    """A video records a hash of the steps it shows; the migration turns "Save" into {"en": "Save"},
    which must not make every existing video out of date (found in a review)."""
    from contentizer.jobs.stages import stable_hash
    from previews.videos.services import chapter_state, chapter_state_hash

    project = Project.objects.create(owner=alice, title="T", languages=["en", "de"])
    chapter = project.chapters.create(title="C", position=0)
    Step.objects.create(chapter=chapter, position=0, caption="Save", narration={"en": "Save."})
    Step.objects.create(chapter=chapter, position=1, caption="", narration={"en": "Done."})
    before = [{**step, "caption": text} for step, text in zip(chapter_state(chapter), ("Save", ""), strict=True)]
    assert chapter_state_hash(chapter) == stable_hash(before)
    Step.objects.filter(position=0).update(caption={"en": "Save", "de": "Speichern"})
    assert chapter_state_hash(chapter) != stable_hash(before)  # a German caption is a change


def test_saving_some_fields_keeps_what_a_job_wrote_to_others_meanwhile(alice):
    """A translation job fills a field while the author's save of another field is in flight: the
    save writes only its own fields, so the fill and its mark stay (found in a review)."""
    from contentizer import services

    project = Project.objects.create(owner=alice, title="T", languages=["en", "de"])
    step = Step.objects.create(chapter=project.chapters.create(title="C", position=0), position=0,
                               caption="Save", narration={"en": "Save it."})
    stale = Step.objects.get(pk=step.pk)  # the author's request read the step before the job wrote
    Step.objects.filter(pk=step.pk).update(narration={"en": "Save it.", "de": "Speichern Sie."},
                                           machine_translated={"narration": ["de"]})
    services.step_update(step=stale, duration=3.0)
    step.refresh_from_db()
    assert (step.duration, step.narration["de"], step.machine_translated) == (
        3.0, "Speichern Sie.", {"narration": ["de"]})
