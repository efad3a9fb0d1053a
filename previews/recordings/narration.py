"""A step's narration in the author's own voice, one recording per step and language.

Attaching a recording is checked in the request (an asset of the project with sound, a project language,
at most RECORDING_MAX_SECONDS) and then transcribed by a "transcribe" job: the recogniser's text fills the
step's narration in that language when the author has not written one (or still has the text an earlier
recording's transcript put there), and so reaches the subtitles. Renders say the recording instead of
the voice (`recorded_speech`, the video's narrate stage; the preview plays it as the scene's narration),
and the step lasts as long as it needs (`Timeline.narrated`). A recording in which nothing is heard, or
whose sound does not decode, is refused: the row says why, and nothing renders it."""

from __future__ import annotations

import hashlib
import logging
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from assets.models import Asset, Blob
from assets.sniffing import demuxer_for
from contentizer import logs
from contentizer.errors import UnprocessableEntity
from contentizer.jobs import services as jobs
from contentizer.jobs.errors import PermanentJobError
from contentizer.jobs.models import Job, JobStatus
from contentizer.jobs.runner import JobContext
from contentizer.languages import language_name
from contentizer.media import compose, ffmpeg, probe
from contentizer.media.compose import Media
from contentizer.models import Project, RecordingStatus, Step, StepRecording
from contentizer.storage import fetch
from previews import asr

logger = logging.getLogger(__name__)

KIND = "transcribe"


def project_language(project: Project, code: str) -> str:
    """The project's own spelling of `code`; a language the project does not have is refused."""
    for language in project.languages:
        if language.lower() == code.lower():
            return language
    raise UnprocessableEntity(
        f"'{code}' is not a language of this project ({', '.join(project.languages)}); add it to the project first.",
        code="invalid_languages", details={"language": code, "languages": project.languages})


def heard_language(language: str) -> str:
    """What the recogniser is told: the primary subtag (Whisper knows "pt", not "pt-BR")."""
    return language.split("-")[0].lower()


def check_recording(asset: Asset, *, limit: float, what: str) -> None:
    """A recording must have sound and a sane length: refused in the request, before any job."""
    blob = asset.blob
    has_sound = blob.kind == "audio" or (blob.kind == "video" and any(probe.is_audio_codec(c) for c in blob.codecs))
    if not has_sound:
        raise UnprocessableEntity(f"The {what} has no sound: record or upload audio, or a video with an audio track.",
                                  code="no_audio", details={"asset": asset.pk, "kind": blob.kind})
    if (blob.duration or 0) > limit:
        raise UnprocessableEntity(
            f"The {what} lasts {blob.duration:.0f}s; at most {limit:.0f}s is taken. Record it in shorter parts.",
            code="recording_too_long", details={"asset": asset.pk, "duration": blob.duration, "maxSeconds": limit})


@dataclass(frozen=True)
class Attached:
    recording: StepRecording
    job: Job | None  # None when no recogniser hears the language: the recording is said, the text typed


def step_recording_attach(*, owner, step: Step, language: str, asset: Asset, request_id: str = "") -> Attached:
    """Make `asset` the step's narration in `language` and transcribe it (a job)."""
    project = step.chapter.project
    language = project_language(project, language)
    if asset.project_id != project.pk:
        raise UnprocessableEntity(f"Asset {asset.pk} is not an asset of this project.", code="invalid_asset",
                                  details={"asset": asset.pk})
    check_recording(asset, limit=settings.RECORDING_MAX_SECONDS, what="recording")
    try:
        asr.model_for(heard_language(language))
        unheard = ""
    except asr.AsrUnavailable as exc:
        unheard = f"{exc} The recording is said as it is; type its narration text yourself."
    with transaction.atomic():
        recording, _ = StepRecording.objects.select_for_update().get_or_create(
            step=step, language=language, defaults={"asset": asset})
        recording.asset, recording.problem, recording.job = asset, unheard, None
        recording.status = RecordingStatus.READY if unheard else RecordingStatus.TRANSCRIBING
        job = None
        if not unheard:
            job = jobs.job_submit(kind=KIND, owner=owner, project=project, request_id=request_id, payload={
                "traceId": logs.log_context().get("requestId"), "projectId": project.pk, "stepId": step.pk,
                "recordingId": recording.pk, "assetId": asset.pk, "language": language}).job
            recording.job = job
        recording.save()
    logger.info("narration recorded", extra={"event": "recording.attached", "stepId": step.pk, "language": language,
                                             "assetId": asset.pk})
    return Attached(recording=recording, job=job)


def step_recording_remove(*, step: Step, language: str) -> None:
    """The step's narration in `language` is spoken by the voice again; its text stays."""
    deleted, _ = StepRecording.objects.filter(step=step, language__iexact=language).delete()
    if not deleted:
        raise UnprocessableEntity(f"Step {step.pk} has no recording in {language}.", code="no_recording",
                                  details={"language": language})


def recordings_of(step: Step) -> dict[str, StepRecording]:
    return {r.language: r for r in step.recordings.all()}


# --- the worker ----------------------------------------------------------------------------------

def transcribe_run(ctx: JobContext) -> dict[str, Any]:
    payload = ctx.job.payload
    recording = (StepRecording.objects.select_related("asset__blob", "step")
                 .filter(pk=payload["recordingId"], asset_id=payload["assetId"]).first())
    if recording is None:  # removed or replaced meanwhile: the newer one has its own job
        return {"stepId": payload["stepId"], "language": payload["language"], "narration": "superseded", "text": ""}
    blob, language = recording.asset.blob, recording.language
    ctx.progress(2, "fetch")
    local = fetch(blob.storage_key, ctx.work_dir / f"recording.{blob.ext}", size=blob.size, sha256=blob.sha256)
    try:
        transcript = asr.transcribe(Media(local, demuxer_for(blob.ext)), language=heard_language(language),
                                    work_dir=ctx.work_dir, should_cancel=ctx.cancelled,
                                    progress=lambda fraction: ctx.progress(5 + 90 * fraction, "recognise"))
    except ffmpeg.FFmpegCancelled:
        raise
    except asr.AsrUnavailable as exc:  # the model went away since the request: said, not transcribed
        _mark(recording, RecordingStatus.READY, problem=f"{exc} Type the narration text yourself.")
        raise PermanentJobError(str(exc), code="asr_unavailable") from exc
    except ffmpeg.FFmpegError as exc:
        logger.warning("recording does not decode", extra={"event": "recording.undecodable", "jobId": str(ctx.job.pk)})
        _refuse(recording, "The recording's sound cannot be decoded. Record or upload it again.")
        raise PermanentJobError("The recording's sound cannot be decoded.", code="undecodable") from exc
    text = transcript.text.strip()
    if not text:
        _refuse(recording, "Nothing was heard in the recording: it is silent or too quiet. Record it again "
                           "closer to the microphone.")
        raise PermanentJobError("Nothing was heard in the recording: it is silent or too quiet.", code="silent")
    state = _fill(recording, text)
    ctx.progress(100, "done")
    ctx.log(f"transcribed {transcript.duration:.1f}s of {language_name(language)} with {transcript.model}: {state}")
    return {"stepId": recording.step_id, "language": language, "narration": state, "text": text,
            "model": transcript.model, "seconds": round(transcript.duration, 3),
            "segments": [s.as_json() for s in transcript.segments]}


def _mark(recording: StepRecording, status: str, *, problem: str = "") -> None:
    StepRecording.objects.filter(pk=recording.pk, asset_id=recording.asset_id).update(status=status, problem=problem)


def _refuse(recording: StepRecording, problem: str) -> None:
    _mark(recording, RecordingStatus.REFUSED, problem=problem)


def _fill(recording: StepRecording, text: str) -> str:
    """The transcript into the step's narration, unless the author wrote their own text there: "filled" or
    "kept". Decided with the row locked, so text typed while the job ran is kept."""
    with transaction.atomic():
        step = Step.objects.select_for_update().filter(pk=recording.step_id).first()
        current = StepRecording.objects.select_for_update().filter(pk=recording.pk,
                                                                   asset_id=recording.asset_id).first()
        if step is None or current is None:
            return "superseded"
        written = step.narration_in(current.language).strip()
        state = "kept"
        if not written or written == current.transcript.strip():
            step.narration = {**(step.narration or {}), current.language: text}
            step.clear_machine_translated("narration", current.language)
            step.save(update_fields=["narration", "machine_translated", "updated_at"])
            state = "filled"
        current.transcript, current.status, current.problem = text, RecordingStatus.READY, ""
        current.save(update_fields=["transcript", "status", "problem", "updated_at"])
    return state


def transcribe_cleanup(job: Job) -> None:
    """Nothing to remove: a filled narration is a finished text."""


def transcribe_ended(job: Job) -> None:
    """A job that ended without a transcript (dead after its attempts, cancelled) leaves its recording
    said as it is, saying why there is no text."""
    if job.status == JobStatus.SUCCEEDED:
        return
    StepRecording.objects.filter(job=job, status=RecordingStatus.TRANSCRIBING).update(
        status=RecordingStatus.READY, problem="The recording could not be transcribed; type its narration text "
                                              "yourself, or record it again.")


def transcribe_max_concurrency() -> int:
    return settings.TRANSCRIBE_MAX_CONCURRENCY


def transcribe_job_fields(job: Job) -> dict[str, Any]:
    result = (job.result or {}) if job.status == JobStatus.SUCCEEDED else {}
    payload = job.payload or {}
    return {"result": {"stepId": payload.get("stepId"), "language": payload.get("language", ""),
                       "narration": result.get("narration", ""), "text": result.get("text", ""),
                       "model": result.get("model", ""), "seconds": result.get("seconds")}}


# --- said in renders ------------------------------------------------------------------------------

RECORDED_VERSION = 1  # part of each recorded clip's id: a change to how recordings are decoded makes new clips


def recorded_clip(sha256: str) -> str:
    """The speech-cache id of a recording said as narration (previews.speech keeps its normalised copy)."""
    return hashlib.sha256(f"recording:{RECORDED_VERSION}:{sha256}".encode()).hexdigest()


def recorded_wav(blob: Blob, out: Path, *, work_dir: Path, timeout: float, should_cancel=None) -> float:
    """The recording's sound as the WAV a spoken clip is made from (mono, 16-bit, RECORDED_RATE);
    returns its length in seconds."""
    local = fetch(blob.storage_key, work_dir / f"recording-{blob.sha256[:16]}.{blob.ext}", size=blob.size,
                  sha256=blob.sha256)
    try:
        ffmpeg.run(compose.speech_wav_args(Media(local, demuxer_for(blob.ext)), out), timeout=timeout,
                   should_cancel=should_cancel, log_path=str(work_dir / "job.log"))
    except ffmpeg.FFmpegCancelled:
        raise
    except ffmpeg.FFmpegError as exc:
        raise PermanentJobError("A recorded narration's sound cannot be decoded; record it again.") from exc
    with wave.open(str(out), "rb") as wav:
        return wav.getnframes() / wav.getframerate()
