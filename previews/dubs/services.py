"""Asking for a dub, editing its segments, resuming it, and cleaning up after it.

Everything a client can get wrong is refused before a job exists, naming what is wrong: a recording
without a soundtrack, a language no recogniser hears, no model translates into or no voice speaks.
What only the recording can tell (the language it is in, when it was not given) is checked by the
job and fails it permanently with the same message.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction

from assets.models import Asset
from contentizer import logs
from contentizer.errors import Conflict, NotFound, UnprocessableEntity
from contentizer.jobs import services as jobs
from contentizer.jobs.models import Job, JobStatus
from contentizer.jobs.runner import JobContext
from contentizer.jobs.stages import kept_keys
from contentizer.languages import language_name
from contentizer.media import probe
from contentizer.models import Project
from contentizer.quota import quota_check
from contentizer.storage import delete_tree, walk
from previews import asr, tts
from previews.models import Dub
from previews.translation import catalogue
from previews.translation.base import fits

logger = logging.getLogger(__name__)

KIND = "dub"
STAGES = ("asr", "translate", "speak", "mix", "package")
# what an edit makes stale: a new source text must be translated again, a new translation spoken again
EDIT_STAGE = {"text": "translate", "translations": "speak"}
MAX_HEIGHT = 720  # the dubbed pictures' short edge at most (a smaller recording keeps its own)
MAX_TARGETS = 10


def work_prefix(dub: Dub) -> str:
    return f"dubs/{dub.id}/work"


# --- asking --------------------------------------------------------------------------------------

def _refuse(message: str, code: str, **details: Any) -> UnprocessableEntity:
    return UnprocessableEntity(message, code=code, details=details)


def _check_recording(asset: Asset) -> None:
    blob = asset.blob
    if blob.kind not in ("audio", "video"):
        raise _refuse(f"“{asset.original_name}” is {'an' if blob.kind == 'image' else 'a'} {blob.kind}, not a "
                      "recording: dub a video or audio asset.", "invalid_recording", asset=asset.pk, kind=blob.kind)
    if blob.kind == "video" and not any(probe.is_audio_codec(codec) for codec in blob.codecs or []):
        raise _refuse(f"“{asset.original_name}” has no audio stream: there is no speech in it to dub.",
                      "no_audio_stream", asset=asset.pk)


def _named(language: str) -> str:
    return f"{language_name(language)} ({language})"


def _check_targets(source: str, targets: list[str]) -> None:
    if len({t.lower() for t in targets}) != len(targets):
        raise _refuse("Each target language may be asked for once.", "invalid_languages", languages=targets)
    if source and (same := [t for t in targets if t.split("-")[0].lower() == source.split("-")[0].lower()]):
        raise _refuse(f"The recording is already in {_named(source)}; dub it into another language.",
                      "invalid_languages", languages=same)
    if silent := [t for t in targets if not tts.language_supported(t)]:
        raise _refuse(f"No voice on this server speaks {', '.join(map(_named, silent))}.", "unsupported_language",
                      languages=silent)
    if source:
        missing = [t for t in targets if catalogue.pair_for(source, t) is None]
    else:  # the source is detected later: at least some model must translate into each target
        missing = [t for t in targets if not any(fits(target, t) for _, target in catalogue.available_pairs())]
    if missing:
        raise _refuse(f"No translation model translates {'from ' + _named(source) + ' ' if source else ''}into "
                      f"{', '.join(map(_named, missing))}. An operator can add one (docs/translation.md).",
                      "no_translation_model", languages=missing,
                      available=[{"from": s, "to": t} for s, t in catalogue.available_pairs()])


def _check_source(source: str) -> None:
    try:
        asr.model_for(source or None)
    except asr.AsrUnavailable as exc:
        raise _refuse(str(exc), "no_speech_recognition", language=source or None) from exc


def _check_voices(voices: dict[str, str], targets: list[str]) -> None:
    for language, voice_id in voices.items():
        if language not in targets:
            raise _refuse(f"A voice was chosen for {_named(language)}, which is not a target language.",
                          "invalid_voice", language=language)
        voice = tts.voice_get(voice_id)
        if voice is None or not voice.available or not tts.voice_matches(voice, language):
            raise _refuse(f"The voice {voice_id!r} cannot speak {_named(language)} on this server; GET /api/v1/voices "
                          "lists the voices.", "invalid_voice", language=language, voice=voice_id)


def _height(asset: Asset) -> int:
    blob = asset.blob
    short = min(blob.width or MAX_HEIGHT, blob.height or MAX_HEIGHT) if blob.kind == "video" else MAX_HEIGHT
    return min(MAX_HEIGHT, short - short % 2)


def dub_request(*, owner, project: Project, asset: Asset, source_language: str, target_languages: list[str],
                voices: dict[str, str], request_id: str = "") -> Dub:
    """Check everything the request names, then create the dub and its queued job."""
    quota_check(owner=owner)
    _check_recording(asset)
    _check_source(source_language)
    _check_targets(source_language, target_languages)
    _check_voices(voices, target_languages)
    payload = {"traceId": logs.log_context().get("requestId"), "projectId": project.pk, "assetId": asset.pk,
               "sha256": asset.blob.sha256, "sourceLanguage": source_language or None,
               "targetLanguages": target_languages, "height": _height(asset)}
    with transaction.atomic():
        job = jobs.job_submit(kind=KIND, owner=owner, project=project, payload=payload, request_id=request_id).job
        dub, _ = Dub.objects.get_or_create(job=job, defaults={
            "owner": owner, "project": project, "asset": asset, "source_sha256": asset.blob.sha256,
            "title": asset.original_name[:200], "source_language": source_language,
            "target_languages": target_languages, "voices": voices})
    return dub


# --- editing and resuming ------------------------------------------------------------------------

def _earlier(first: str, second: str) -> str:
    found = [stage for stage in (first, second) if stage]
    return min(found, key=STAGES.index) if found else ""


def dub_segment_edit(*, dub: Dub, index: int, text: str | None = None,
                     translations: dict[str, str] | None = None) -> Dub:
    """The author's text for one segment (its source text, any of its translations): marked edited,
    never overwritten by a machine; the dub remembers the earliest stage the edit makes stale."""
    translations = translations or {}
    with transaction.atomic():
        dub = Dub.objects.select_for_update().select_related("job").get(pk=dub.pk)
        if dub.job.status in (JobStatus.QUEUED, JobStatus.RUNNING):
            raise Conflict("The dub is being made; edit its segments once its job has finished.", code="dub_busy",
                           details={"status": dub.job.status})
        segment = next((s for s in dub.segments if s["index"] == index), None)
        if segment is None:
            raise NotFound(f"The dub has no segment {index}.", details={"segments": len(dub.segments)})
        if unknown := sorted(set(translations) - set(dub.target_languages)):
            raise _refuse(f"{', '.join(map(_named, unknown))} is not a target language of this dub.",
                          "invalid_languages", languages=unknown, targetLanguages=dub.target_languages)
        stale = ""
        if text is not None and text != segment["text"]:
            segment.update(text=text, edited=True)
            stale = EDIT_STAGE["text"]
        for language, translated in translations.items():
            current = segment.setdefault("translations", {}).get(language) or {}
            if translated != current.get("text"):
                segment["translations"][language] = {**current, "text": translated, "edited": True}
                stale = _earlier(stale, EDIT_STAGE["translations"])
        dub.edited_from = _earlier(dub.edited_from, stale)
        dub.save(update_fields=["segments", "edited_from", "updated_at"])
    return dub


def dub_resume(*, dub: Dub, resume_from: str | None = None) -> Dub:
    """Run the dub's job again from `resume_from`, or from the earliest stage the author's edits
    affect; earlier stages are reused, and within the rerun stages only what changed is redone
    (translations by their source text, speech by its cache key)."""
    stage = resume_from or dub.edited_from or None
    if stage is None and dub.job.status == JobStatus.SUCCEEDED:
        raise Conflict("Nothing changed since the dub was made: edit a segment first, or name resumeFrom.",
                       code="nothing_to_resume", details={"stages": list(STAGES)})
    jobs.job_requeue(job=dub.job, resume_from=stage, succeeded_too=True)
    Dub.objects.filter(pk=dub.pk).update(edited_from="")
    dub.refresh_from_db()
    return dub


# --- the worker ----------------------------------------------------------------------------------

def dub_run(ctx: JobContext) -> dict[str, Any]:
    from previews.dubs.stages import DubPipeline

    return DubPipeline(ctx).run()


def dub_cleanup(job: Job) -> None:
    """A failed or cancelled attempt leaves no half-made video; finished stages' outputs stay for a resume."""
    dub = Dub.objects.filter(job=job).select_related("video").first()
    if dub is None:
        return
    kept = kept_keys(job)
    for key in list(walk(work_prefix(dub))):
        if key not in kept:
            default_storage.delete(key)
    if dub.video is not None and dub.video.finished_at is None:  # never packaged: nothing of it may show
        delete_tree(f"videos/{dub.video.id}")


def dub_recordings_in_use() -> list[int]:
    """Blobs of the recordings dubs were made from (registered with assets.references): an author who
    deletes the asset can still correct a segment and resume, so orphan cleanup keeps the blob."""
    from assets.models import Blob

    return list(Blob.objects.filter(sha256__in=Dub.objects.values("source_sha256")).values_list("pk", flat=True))


def dubs_sweep() -> int:
    """The work folders of dubs that are gone (their project deleted): nothing else would remove them."""
    try:
        folders = default_storage.listdir("dubs")[0]
    except (FileNotFoundError, NotADirectoryError):
        return 0
    known = {str(pk) for pk in Dub.objects.values_list("id", flat=True)}
    return sum(delete_tree(f"dubs/{folder}") for folder in folders if folder not in known)
