"""The "translate chapter" job: a chapter's captions and narration from one project language into another,
filling only what the target language lacks, and marking each filled field machine-translated until the
author edits or approves it.

The request is checked before any job exists (an unknown chapter, a language the project does not have, no
model for the pair are the client's 4xx). The worker translates step by step outside any transaction and
writes a field only if it is still empty at that moment (the row locked): an author who types while the
job runs keeps their text, and a retried or repeated job finds the fields it filled no longer empty."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.db import transaction

from contentizer import logs
from contentizer.api.serializers import MAX_NARRATION_CHARS
from contentizer.api.serializers_base import MAX_CAPTION_CHARS
from contentizer.errors import UnprocessableEntity
from contentizer.jobs import services as jobs
from contentizer.jobs.errors import PermanentJobError
from contentizer.jobs.models import Job, JobStatus
from contentizer.jobs.runner import JobContext
from contentizer.models import Chapter, Project, Step
from previews.translation import catalogue
from previews.translation.base import TranslationUnavailable
from previews.translation.protect import translate_protected

logger = logging.getLogger(__name__)

KIND = "translate"
FIELDS = ("caption", "narration")
# What a field may hold per language: the API's own limits.
MAX_CHARS = {"caption": MAX_CAPTION_CHARS, "narration": MAX_NARRATION_CHARS}


def _project_language(project: Project, code: str, role: str) -> str:
    """The project's own spelling of `code`; a language the project does not have is refused."""
    for language in project.languages:
        if language.lower() == code.lower():
            return language
    raise UnprocessableEntity(
        f"'{code}' is not a language of this project ({', '.join(project.languages)}); add it to the project first.",
        code="invalid_languages", details={"fields": {role: "not a project language"}, "languages": project.languages})


def chapter_translate_request(*, owner, chapter: Chapter, source: str, target: str, request_id: str = ""
                              ) -> jobs.Submitted:
    project = chapter.project
    source, target = _project_language(project, source, "from"), _project_language(project, target, "to")
    if source.lower() == target.lower():
        raise UnprocessableEntity("Translate from one language into another: 'from' and 'to' are the same.",
                                  code="invalid_languages", details={"fields": {"to": "the same as from"}})
    pair = catalogue.pair_for(source, target)
    if pair is None:
        available = [{"from": s, "to": t} for s, t in catalogue.available_pairs()]
        raise UnprocessableEntity(
            f"No translation model translates {source} into {target}. An operator can add one "
            "(docs/translation.md).", code="no_translation_model",
            details={"from": source, "to": target, "available": available})
    payload = {"traceId": logs.log_context().get("requestId"), "projectId": project.pk, "chapterId": chapter.pk,
               "from": source, "to": target, "pair": pair.id}
    return jobs.job_submit(kind=KIND, owner=owner, project=project, payload=payload, request_id=request_id)


def translate_max_concurrency() -> int:
    return settings.MT_MAX_CONCURRENCY


# --- the worker ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class StepOutcome:
    stepId: int  # noqa: N815 - as on the wire
    position: int
    # filled; kept (the target has the author's text); machine-translated (filled before, by a job or an
    # attempt of this one); empty (no source text); too long (over the field's limit)
    caption: str
    narration: str


def translate_run(ctx: JobContext) -> dict[str, Any]:
    payload = ctx.job.payload
    source, target = payload["from"], payload["to"]
    chapter = Chapter.objects.select_related("project").filter(pk=payload["chapterId"]).first()
    if chapter is None:
        raise PermanentJobError("The chapter was deleted before it could be translated.", code="not_found")
    if not {source, target} <= set(chapter.project.languages):
        raise PermanentJobError(f"The project no longer has both {source} and {target} among its languages.",
                                code="invalid_languages", details={"languages": chapter.project.languages})
    pair = catalogue.pair_for(source, target)
    if pair is None:
        raise PermanentJobError(f"No translation model translates {source} into {target} any more; an operator "
                                "removed it. Ask them to add one, then retry.", code="no_translation_model",
                                details={"from": source, "to": target})
    engine, terms = catalogue.engine_of(pair), _protected_terms(chapter.project)
    step_ids = list(Step.objects.filter(chapter=chapter).order_by("position").values_list("pk", flat=True))
    outcomes, preserved = [], 0
    for index, step_id in enumerate(step_ids):
        ctx.check_cancelled()
        ctx.progress(100.0 * index / max(1, len(step_ids)), f"step {index + 1} of {len(step_ids)}")
        outcome, kept = _translate_step(step_id, source, target, lambda text: engine.translate(pair, text), terms)
        if outcome:
            outcomes.append(outcome)
            preserved += kept
    ctx.progress(100.0, "done")
    filled = sum((o.caption == "filled") + (o.narration == "filled") for o in outcomes)
    ctx.log(f"translated {filled} field(s) of {len(outcomes)} step(s) {source} → {target} with {pair.id}")
    return {"chapterId": chapter.pk, "from": source, "to": target, "model": pair.id, "filled": filled,
            "protectedSpans": preserved, "steps": [asdict(o) for o in outcomes]}


def _protected_terms(project: Project) -> list[str]:
    """Product names: every written form of the project's lexicon, in any language."""
    from previews.models import LexiconEntry

    return sorted(set(LexiconEntry.objects.filter(project=project).values_list("written", flat=True)))


def _text_in(step: Step, field: str, language: str) -> str:
    return step.caption_in(language) if field == "caption" else step.narration_in(language)


def _translate_step(step_id: int, source: str, target: str, translate, terms: list[str]
                    ) -> tuple[StepOutcome | None, int]:
    step = Step.objects.filter(pk=step_id).first()
    if step is None:  # deleted while the job ran
        return None, 0
    wanted, states, preserved = {}, {}, 0
    for field in FIELDS:
        text = _text_in(step, field, source).strip()
        if not text:
            states[field] = "empty"
        elif _text_in(step, field, target).strip():  # never overwritten, nor translated again
            states[field] = "machine-translated" if step.is_machine_translated(field, target) else "kept"
        else:
            try:
                result = translate_protected(text, translate, terms=terms)
            except TranslationUnavailable as exc:
                raise PermanentJobError(str(exc), code="translation_unavailable") from exc
            if len(result.text) > MAX_CHARS[field]:  # cut, it could lose a protected span: the author writes it
                states[field] = "too long"
                continue
            wanted[field], preserved = result.text, preserved + result.preserved
    states.update(_write(step_id, target, wanted))
    return StepOutcome(stepId=step.pk, position=step.position, caption=states["caption"],
                       narration=states["narration"]), preserved


def _write(step_id: int, target: str, wanted: dict[str, str]) -> dict[str, str]:
    """Store each translation whose field is still empty now, with its machine-translated mark."""
    states = {}
    with transaction.atomic():
        step = Step.objects.select_for_update().filter(pk=step_id).first()
        if step is None:
            return {field: "kept" for field in wanted}
        for field, text in wanted.items():
            if _text_in(step, field, target).strip() or not text.strip():
                states[field] = "kept"
                continue
            setattr(step, field, {**(getattr(step, field) or {}), target: text})
            step.mark_machine_translated(field, target)
            states[field] = "filled"
        if "filled" in states.values():
            step.save(update_fields=["caption", "narration", "machine_translated", "updated_at"])
    return states


def translate_cleanup(job: Job) -> None:
    """Nothing to remove: each filled field is a finished, marked translation, kept on a failure."""


def translate_job_fields(job: Job) -> dict[str, Any]:
    result = (job.result or {}) if job.status == JobStatus.SUCCEEDED else {}
    payload = job.payload or {}
    return {"result": {"chapterId": payload.get("chapterId"), "from": payload.get("from", ""),
                       "to": payload.get("to", ""), "model": result.get("model") or payload.get("pair", ""),
                       "filled": result.get("filled"), "protectedSpans": result.get("protectedSpans"),
                       "steps": result.get("steps", [])}}


def translation_targets(project: Project) -> list[dict[str, Any]]:
    """What the chapter page offers: each project language after the first, and whether a model translates the
    first language into it."""
    source = project.languages[0] if project.languages else ""
    return [{"from": source, "to": language, "available": catalogue.pair_for(source, language) is not None}
            for language in project.languages[1:]]
