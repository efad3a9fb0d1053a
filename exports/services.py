"""Exports: one portable zip per tutorial (layout in docs/export.md), built by a job."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import uuid
import zipfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.utils import timezone

from assets.models import Blob
from contentizer import locking, logs, storage
from contentizer.errors import ApplicationError, UnprocessableEntity
from contentizer.jobs import services as jobs
from contentizer.jobs.errors import PermanentJobError
from contentizer.jobs.models import Job, JobStatus
from contentizer.jobs.runner import JobContext
from contentizer.models import Chapter, Project
from contentizer.storage import delete_tree, publish_file, walk
from contentizer.timestamps import rfc3339
from exports import importing
from previews.models import Video
from previews.tts import selectors as narration
from previews.videos.services import current_video

logger = logging.getLogger(__name__)

KIND = "export"
FORMAT, VERSION = "contentizer-export", 2
CHUNK = 1024 * 1024
SIGNING_SALT = "contentizer.export.download"


def slugify(title: str, position: int) -> str:
    """A safe, unique zip folder name: `/`, `\\`, `..`, NUL and non-Latin text never get through."""
    words = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60].strip("-")
    return f"{position + 1:02d}-{words or 'chapter'}"


@dataclass(frozen=True)
class Include:
    assets: bool = True
    subtitles: bool = True
    renders: bool = False


def _latest_video(chapter: Chapter) -> Video | None:
    """Only a video that still matches the chapter: an old render's subtitles would contradict
    the steps exported beside them."""
    return current_video(chapter)


def _subtitle_keys(video: Video, lang: str) -> dict[str, str]:
    return {fmt: f"videos/{video.id}/subtitles/{lang}.{fmt}" for fmt in ("srt", "vtt")}


def _preflight(project: Project, chapters: list[Chapter], include: Include) -> list[str]:
    """Every component the export needs that is not there, as sentences a person can act on."""
    missing = []
    for chapter in chapters:
        for i, step in enumerate(chapter.steps.select_related("asset__blob").order_by("position")):
            if include.assets and step.asset and not default_storage.exists(step.asset.blob.storage_key):
                missing.append(f"chapter '{chapter.title}', step {i + 1}: the file of asset "
                               f"'{step.asset.original_name}' is missing from storage")
        video = _latest_video(chapter)
        if include.renders and (video is None or not all(
                default_storage.exists(key) for key in [video.mp4_key, *(
                    video.picture(lang)["mp4Key"] for lang in _other_pictures(video))])):
            missing.append(f"chapter '{chapter.title}' has no finished render of its current steps "
                           "(generate its video first)")
        elif include.renders and (lost := [lang for lang in video.languages if not all(
                default_storage.exists(key) for key in _subtitle_keys(video, lang).values())]):
            missing.append(f"chapter '{chapter.title}': the subtitles of its render are missing from storage "
                           f"({', '.join(lost)}; generate its video again)")
    return missing


def export_request(*, owner, project: Project, chapter_ids: list[int] | None, include: Include) -> Job:
    chapters = list(project.chapters.order_by("position"))
    if chapter_ids:
        unknown = sorted(set(chapter_ids) - {c.pk for c in chapters})
        if unknown:
            raise UnprocessableEntity("Some chapters are not in this project.", code="unknown_chapters",
                                      details={"chapterIds": unknown})
        chapters = [c for c in chapters if c.pk in set(chapter_ids)]
    if missing := _preflight(project, chapters, include):
        raise UnprocessableEntity(f"{len(missing)} component(s) of the export are missing.",
                                  code="missing_components", details={"missing": missing})
    payload = {"traceId": logs.log_context().get("requestId"), "projectId": project.pk,
               "chapterIds": [c.pk for c in chapters], "include": include.__dict__}
    try:
        # Count and create under one lock every web process honours: two requests at once on
        # two processes must not both see a free place under the cap.
        with locking.held(f"export-cap:{owner.pk}"):
            active = Job.objects.filter(owner=owner, kind=KIND,
                                        status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).count()
            if active >= (limit := settings.EXPORT_MAX_CONCURRENT):
                raise jobs.QueueFull(f"You already have {active} exports running; wait for one to finish.",
                                     retry_after=10, details={"active": active, "limit": limit})
            return jobs.job_submit(kind=KIND, owner=owner, project=project, payload=payload).job
    except locking.Busy:
        raise jobs.QueueFull("Another export request of yours is being handled; try again.", retry_after=2) from None


def signed_download_url(job: Job) -> str:
    token = signing.TimestampSigner(salt=SIGNING_SALT).sign(str(job.pk))
    return f"/api/export/{job.pk}/download?signature={token}"


def signature_valid(job_id, signature: str) -> bool:
    try:
        value = signing.TimestampSigner(salt=SIGNING_SALT).unsign(signature, max_age=settings.EXPORT_URL_SECONDS)
    except signing.BadSignature:  # covers SignatureExpired
        return False
    return value == str(job_id)


# --- the worker side ---------------------------------------------------------------------------

class _Writer:
    """Writes entries into a zip on local disk in 1 MiB chunks, hashing as it goes."""

    def __init__(self, ctx: JobContext, path: Path, total: int) -> None:
        self.ctx, self.zip = ctx, zipfile.ZipFile(path, "w", allowZip64=True)
        self.files: list[dict[str, Any]] = []
        self.total, self.written, self.last_report = max(total, 1), 0, 0

    def add(self, path: str, source, *, compress: bool, meta: dict[str, Any]) -> None:
        info = zipfile.ZipInfo(path, date_time=timezone.now().timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        info.external_attr = 0o644 << 16
        digest, size = hashlib.sha256(), 0
        with self.zip.open(info, "w", force_zip64=True) as out:
            while chunk := source.read(CHUNK):
                self.ctx.check_cancelled()
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
                self._report(len(chunk))
        self.files.append({"path": path, "size": size, "sha256": digest.hexdigest(), **meta})

    def add_stored(self, key: str, path: str, *, compress: bool, meta: dict[str, Any],
                   size: int | None = None, sha256: str | None = None) -> None:
        """Copy a stored object into the zip, checked against what the database recorded for it
        (the blob's row, the video's size, or the storage ledger): a cut file never ships."""
        if size is None and sha256 is None and (entry := storage.record(key)) is not None:
            size, sha256 = entry.size, entry.sha256 or None
        with default_storage.open(key, "rb") as source:
            self.add(path, source, compress=compress, meta=meta)
        added = self.files[-1]
        if (size is not None and added["size"] != size) or (sha256 and added["sha256"] != sha256):
            raise storage.IntegrityFailure(f"{key} in storage is damaged ({added['size']} bytes, expected {size})")

    def _report(self, count: int) -> None:
        self.written += count
        if self.written - self.last_report >= 8 * CHUNK:
            self.last_report = self.written
            self.ctx.progress(min(95.0, 95.0 * self.written / self.total), "write")
            Job.objects.filter(pk=self.ctx.job.pk).update(result={"bytesWritten": self.written})


def _asset_meta(blob: Blob, name: str) -> dict[str, Any]:
    return {"kind": blob.kind, "mime": blob.mime, "width": blob.width, "height": blob.height,
            "duration": blob.duration, "codecs": blob.codecs, "originalName": name, "usedBy": []}


def export_run(ctx: JobContext) -> dict[str, Any]:
    job = ctx.job
    project = Project.objects.get(pk=job.payload["projectId"])
    include = Include(**job.payload["include"])
    chapters = list(Chapter.objects.filter(pk__in=job.payload["chapterIds"]).order_by("position"))
    ctx.progress(1, "check")
    if missing := _preflight(project, chapters, include):  # storage may have changed since the request
        raise PermanentJobError("Missing: " + "; ".join(missing))
    plan = _plan(chapters, include)
    total = sum(default_storage.size(key) for key, *_ in plan["objects"])
    local = ctx.work_dir / "export.zip"
    writer = _Writer(ctx, local, total)
    for key, path, compress, meta, expect in plan["objects"]:
        writer.add_stored(key, path, compress=compress, meta=meta, **expect)
    by_path = {f["path"]: f for f in writer.files}
    for usage in plan["usage"]:
        by_path[usage["path"]]["usedBy"].append({"chapter": usage["chapter"], "step": usage["step"]})
    container = {"format": FORMAT, "version": VERSION, "createdAt": rfc3339(timezone.now()),
                 "project": _project(project), "chapters": plan["chapters"], "files": writer.files}
    writer.zip.writestr(zipfile.ZipInfo("container.json", date_time=timezone.now().timetuple()[:6]),
                        json.dumps(container, indent=2), compress_type=zipfile.ZIP_DEFLATED)
    writer.zip.close()
    ctx.progress(96, "verify")
    with zipfile.ZipFile(local) as check:
        if (bad := check.testzip()) is not None:
            raise OSError(f"The written zip is damaged at {bad}")
    ctx.progress(98, "publish")
    size = local.stat().st_size
    key = f"exports/{job.pk}/{slugify(project.title, 0)[3:] or 'tutorial'}.zip"
    publish_file(key=key, path=local)
    return {"artifact": key, "size": size, "bytesWritten": size, "files": len(writer.files)}


def _project(project: Project) -> dict[str, Any]:
    """The project and how it is narrated: its languages in order, each language's voice and rate,
    and the pronunciation lexicon."""
    voices = narration.project_voice_list(project=project).order_by("language")
    lexicon = narration.lexicon_list(project=project).order_by("language", "written")
    return {"title": project.title, "description": project.description, "languages": list(project.languages),
            "voices": [{"language": v.language, "voice": v.voice, "rate": v.rate} for v in voices],
            "lexicon": [{"language": e.language, "written": e.written, "spoken": e.spoken} for e in lexicon]}


def _step(step, path: str | None, recorded: dict[str, dict[str, str]]) -> dict[str, Any]:
    data = {"caption": step.caption, "narration": step.narration, "machineTranslated": step.machine_translated,
            "duration": step.duration, "transition": step.transition,
            "transitionDuration": step.transition_duration, "asset": path}
    # a step without effects or recordings: as before either existed
    return data | ({"effects": step.effects} if step.effects else {}) | (
        {"narrationAudio": recorded} if recorded else {})


def _video(video: Video, pictures: dict[str, str]) -> dict[str, Any]:
    """What the importing Contentizer needs to serve the render without making it again; with
    `pictures`, the render is the first language's own picture and each other language's is the
    file named there."""
    data = {"languages": list(video.languages), "height": video.height, "aspect": video.aspect,
            "duration": video.duration, "steps": video.steps}
    if pictures:
        data["pictures"] = {lang: {"render": path, "duration": video.picture(lang)["duration"]}
                            for lang, path in pictures.items()}
    return data


def _other_pictures(video: Video) -> list[str]:
    """The languages of a video whose languages each have their own picture, the first aside."""
    return list(video.languages[1:]) if video.pictures else []


def _asset_entry(asset, objects: list, seen: set[str]) -> str:
    """The asset's path in the zip, its file added to `objects` the first time."""
    blob = asset.blob
    path = f"assets/{blob.sha256}.{blob.ext}"
    if path not in seen:
        seen.add(path)
        objects.append((blob.storage_key, path, False, _asset_meta(blob, asset.original_name),
                        {"size": blob.size, "sha256": blob.sha256}))
    return path


def _plan(chapters: list[Chapter], include: Include) -> dict[str, Any]:
    objects, usage, seen, out_chapters = [], [], set(), []
    for index, chapter in enumerate(chapters):
        slug = slugify(chapter.title, index)
        steps, video = [], _latest_video(chapter)
        ordered = chapter.steps.select_related("asset__blob").prefetch_related("recordings__asset__blob")
        for s_index, step in enumerate(ordered.order_by("position")):
            path, recorded = None, {}
            if include.assets and step.asset:
                path = _asset_entry(step.asset, objects, seen)
                usage.append({"path": path, "chapter": index, "step": s_index})
            # the author's recordings travel with the assets (an export without assets keeps only their text)
            for recording in step.recordings.all() if include.assets else ():
                if recording.speaks:
                    recorded[recording.language] = {"asset": _asset_entry(recording.asset, objects, seen),
                                                    "transcript": recording.transcript}
                    usage.append({"path": recorded[recording.language]["asset"], "chapter": index, "step": s_index})
            steps.append(_step(step, path, recorded))
        subtitles = {}
        if (include.subtitles or include.renders) and video:  # a render's subtitles come with it
            for lang in video.languages:
                paths = {fmt: f"subtitles/{slug}/{lang}.{fmt}" for fmt in ("srt", "vtt")}
                keys = _subtitle_keys(video, lang)
                if all(default_storage.exists(k) for k in keys.values()):
                    subtitles[lang] = paths
                    objects += [(keys[fmt], paths[fmt], True, {"kind": "subtitle"}, {}) for fmt in ("srt", "vtt")]
        render, pictures = None, {}
        if include.renders and video:
            render = f"renders/{slug}.mp4"
            objects.append((video.mp4_key, render, False, {"kind": "render", "mime": "video/mp4",
                                                          "duration": video.duration}, {"size": video.size}))
            for lang in _other_pictures(video):  # each language's own picture
                picture, pictures[lang] = video.picture(lang), f"renders/{slug}.{lang}.mp4"
                objects.append((picture["mp4Key"], pictures[lang], False, {
                    "kind": "render", "mime": "video/mp4", "duration": picture["duration"]}, {"size": picture["size"]}))
        out_chapters.append({"title": chapter.title, "slug": slug, "steps": steps, "subtitles": subtitles,
                             "render": render, "video": _video(video, pictures) if render else None})
    return {"objects": objects, "usage": usage, "chapters": out_chapters}


def export_cleanup(job: Job) -> None:
    delete_tree(f"exports/{job.pk}")


def exports_expire(*, now=None) -> int:
    return jobs.jobs_expire_artifacts(kind=KIND, ttl_seconds=settings.EXPORT_TTL_SECONDS, now=now)


# --- imports, as jobs ----------------------------------------------------------------------------

IMPORT_KIND = "import"
IMPORT_ORPHAN_GRACE_SECONDS = 3600  # an upload is stored a moment before its job row exists
_IMPORT_WEIGHTS = {"validate": (2.0, 48.0), "extract": (50.0, 40.0), "import": (90.0, 9.0)}  # start, span


def import_upload_prefix(job_id) -> str:
    return f"imports/{job_id}"


def import_request(*, owner, upload: TemporaryUploadedFile) -> Job:
    """Keep the uploaded zip in storage (any worker reads it from there) and queue its import.

    Nothing is checked here: every check of the zip runs in the job, which fails with the error
    (code, message, details) a refused zip gets.
    """
    active = Job.objects.filter(owner=owner, kind=IMPORT_KIND, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).count()
    if active >= settings.IMPORT_MAX_CONCURRENT:
        raise jobs.QueueFull(f"You already have {active} imports waiting or running; wait for one to finish.",
                             retry_after=10, details={"active": active, "limit": settings.IMPORT_MAX_CONCURRENT})
    job_id = uuid.uuid4()
    key = f"{import_upload_prefix(job_id)}/upload.zip"
    try:
        publish_file(key=key, path=Path(upload.temporary_file_path()))
    except OSError as exc:  # publish leaves nothing behind when it fails
        logger.exception("storing an import upload failed", extra={"event": "import.store_failed"})
        raise storage.unavailable(exc, what="The zip could not be stored") from exc
    payload = {"traceId": logs.log_context().get("requestId"), "upload": key, "uploadSize": upload.size,
               "sha256": getattr(upload, "sha256", None)}
    try:
        return jobs.job_submit(kind=IMPORT_KIND, owner=owner, payload=payload, job_id=job_id).job
    except BaseException:
        delete_tree(import_upload_prefix(job_id))
        raise


def _import_progress(ctx: JobContext) -> importing.Progress:
    last = {"percent": -1.0}

    def report(stage: str, fraction: float) -> None:
        ctx.check_cancelled()
        start, span = _IMPORT_WEIGHTS[stage]
        percent = round(start + span * fraction, 1)
        if percent - last["percent"] >= 0.5 or fraction in (0.0, 1.0):
            last["percent"] = percent
            ctx.progress(percent, stage)

    return report


def import_run(ctx: JobContext) -> dict[str, Any]:
    """The worker side of an import: every check of the zip, then the project, from the stored upload."""
    ctx.progress(1, "open")
    try:
        source = default_storage.open(ctx.job.payload["upload"], "rb")
    except FileNotFoundError:
        raise PermanentJobError("The uploaded zip is no longer stored (it expired); upload it again.",
                                code="upload_missing") from None
    with source:
        try:
            done = importing.import_tutorial(owner=ctx.job.owner, source=source, progress=_import_progress(ctx),
                                             origin=f"import {ctx.job.pk}")
        except ApplicationError as exc:  # the same code, message and details a refused zip answers
            raise PermanentJobError(exc.message, code=exc.code, details=exc.details) from exc
    project = done.project
    return {"projectId": project.pk, "title": project.title, "chapters": project.chapters.count(),
            "assets": project.assets.count(), "videos": done.videos, "warnings": list(done.warnings)}


def import_cleanup(job: Job) -> None:
    """A failed attempt wrote nothing (the import is one transaction); its upload stays for a retry."""


def import_ended(job: Job) -> None:
    """Succeeded, failed, cancelled or dead: the uploaded zip has served."""
    delete_tree(import_upload_prefix(job.pk))


def imports_expire(*, now=None) -> int:
    """Uploaded zips nobody needs: their job ended (and the end hook missed them), never existed
    (the web process died before queuing it) or waited past IMPORT_UPLOAD_TTL_SECONDS."""
    now = now or timezone.now()
    try:
        folders = default_storage.listdir("imports")[0]
    except (FileNotFoundError, NotADirectoryError):
        return 0
    jobs_by_id = {str(job.pk): job for job in Job.objects.filter(kind=IMPORT_KIND, pk__in=_uuids(folders))}
    removed = 0
    for folder in folders:
        job, keys = jobs_by_id.get(folder), list(walk(f"imports/{folder}"))
        newest = max((default_storage.get_modified_time(key) for key in keys), default=now - timedelta(days=365))
        age = (now - newest).total_seconds()
        if (job is not None and job.finished) or (job is None and age > IMPORT_ORPHAN_GRACE_SECONDS) \
                or age > settings.IMPORT_UPLOAD_TTL_SECONDS:
            removed += delete_tree(f"imports/{folder}")
    return removed


def _uuids(names: list[str]) -> list[uuid.UUID]:
    out = []
    for name in names:
        try:
            out.append(uuid.UUID(name))
        except ValueError:
            continue
    return out
