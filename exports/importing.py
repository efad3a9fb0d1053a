"""Imports: recreate a project from an export zip (layout and checks in docs/export.md).

`import_validate` reads the whole zip before anything is written: entry names, count, sizes and
compression ratios from the central directory; container.json against its schema and the domain
rules of the API; then every entry's real bytes, streamed in 1 MiB chunks and hashed on the way,
never more than its header's size + 1, against its header and against container.json.

`import_project` then copies the assets out of the zip into temporary files (outside any
transaction, so the progress it reports is seen and the database is not held), and recreates the
project (its languages, voices and lexicon), its chapters and steps for the caller in one
transaction; assets go through the normal ingest (type detection, probing, deduplication). A
version-2 render is copied out with its subtitles and cut into HLS before the transaction and
recorded as the chapter's current video inside it (previews.videos.imported); version 1 did not
describe its renders, so they are verified but not imported, nor are subtitles without a render.

The zip is a path or an open binary file (a stored upload, opened through the storage API), and a
`progress(stage, fraction)` callback hears how far each stage is: `validate`, `extract`, `import`.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import re
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePosixPath
from typing import IO, Any

import jsonschema
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.db import transaction
from django.db.models import Q
from rest_framework import serializers
from rest_framework.settings import api_settings

from assets.models import Asset, Blob
from assets.services import asset_ingest
from contentizer import services
from contentizer.api.serializers import ChapterSerializer, ProjectSerializer, StepSerializer
from contentizer.errors import ApplicationError, PayloadTooLarge, UnprocessableEntity
from contentizer.languages import resolve_language
from contentizer.models import Project, RecordingStatus, StepRecording
from contentizer.quota import quota_check
from previews.tts import services as voices
from previews.tts.engines import bcp47
from previews.videos import imported as finished

logger = logging.getLogger(__name__)

CONTAINER = "container.json"
SUPPORTED_VERSIONS = (1, 2)
IMPORTED = "imported"  # what the title of an import says when the owner has a project of its name
CHUNK = 1024 * 1024
MAX_CONTAINER_BYTES = 32 * 1024 * 1024
SCHEMA_PATH = Path(__file__).with_name("container.schema.json")
_ASSET_PATH = re.compile(r"assets/([0-9a-f]{64})\.[a-z0-9]{1,10}")
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError)
Source = Path | str | IO[bytes]
Progress = Callable[[str, float], None]


class _Meter:
    """Counts the bytes one stage has read and tells `progress` the fraction done."""

    def __init__(self, progress: Progress | None, stage: str, total: int) -> None:
        self.progress, self.stage, self.total, self.done = progress, stage, max(total, 1), 0
        self(0)

    def __call__(self, count: int) -> None:
        self.done += count
        if self.progress is not None:
            self.progress(self.stage, min(1.0, self.done / self.total))


def _invalid_zip(reason: str, **details: Any) -> ApplicationError:
    return ApplicationError(f"The file is not a readable zip archive: {reason}", code="invalid_zip",
                    details={"reason": reason, **details})


def _invalid(message: str, field: str) -> UnprocessableEntity:
    return UnprocessableEntity(message, code="invalid_container", details={"field": field})


def _too_large(message: str, **details: Any) -> PayloadTooLarge:
    return PayloadTooLarge(message, code="import_too_large", details=details)


def _open(source: Source) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(source)  # a file object stays open for the next reader
    except _ZIP_ERRORS as exc:
        raise _invalid_zip(str(exc) or type(exc).__name__)


def _read(fh: zipfile.ZipExtFile, name: str) -> bytes:
    try:
        return fh.read(CHUNK)
    except _ZIP_ERRORS as exc:
        raise _invalid_zip(f"{name}: {exc}", entry=name)


def _read_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo, sink: Callable[[bytes], object],
                meter: Callable[[int], None] | None = None) -> str:
    """Stream an entry's real bytes to `sink`, checking them against its header; returns their sha256."""
    name = info.filename
    probe = copy.copy(info)
    probe.file_size = info.file_size + 1  # a real entry longer than its header shows one byte more
    del probe.CRC  # compared below, after the size, so each lie gets its own error
    digest, crc, size = hashlib.sha256(), 0, 0
    try:
        fh = zf.open(probe)
    except _ZIP_ERRORS as exc:
        raise _invalid_zip(f"{name}: {exc}", entry=name)
    with fh:
        while size <= info.file_size and (chunk := _read(fh, name)):
            size += len(chunk)
            digest.update(chunk)
            crc = zlib.crc32(chunk, crc)
            if size <= info.file_size:
                sink(chunk)
            if meter is not None:
                meter(len(chunk))
    if size != info.file_size:
        more = "more" if size > info.file_size else "fewer"
        raise UnprocessableEntity(f"{name} holds {more} bytes than its zip header says ({info.file_size}).",
                                  code="size_mismatch", details={"entry": name, "headerSize": info.file_size})
    if crc != info.CRC:
        raise UnprocessableEntity(f"{name} does not match the CRC-32 in its zip header.",
                                  code="checksum_mismatch", details={"entry": name})
    return digest.hexdigest()


def _unsafe(info: zipfile.ZipInfo) -> str | None:
    name = info.orig_filename  # before zipfile cuts it at a NUL
    checks = (("\\" in name, "it contains a backslash"), ("\x00" in name, "it contains a NUL byte"),
              (name.startswith("/") or re.match(r"[A-Za-z]:", name), "it is an absolute path"),
              (".." in name, "it contains '..'"), (stat.S_ISLNK(info.external_attr >> 16), "it is a symbolic link"))
    return next((reason for failed, reason in checks if failed), None)


def _check_entries(infos: list[zipfile.ZipInfo]) -> None:
    max_entries = getattr(settings, "IMPORT_MAX_ENTRIES", 20000)
    max_bytes = getattr(settings, "IMPORT_MAX_BYTES", 20 * 1024**3)
    max_ratio = getattr(settings, "IMPORT_MAX_RATIO", 200)
    if len(infos) > max_entries:
        raise _too_large(f"The zip has {len(infos)} entries; at most {max_entries} are allowed.",
                         entries=len(infos), maxEntries=max_entries)
    seen: set[str] = set()
    for info in infos:
        name = info.orig_filename
        if reason := _unsafe(info) or ("it appears twice" if name in seen else None):
            raise ApplicationError(f"The zip entry {name!r} is refused: {reason}.", code="unsafe_entry",
                           details={"entry": name, "reason": reason})
        seen.add(name)
        if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _invalid_zip(f"{name} is encrypted or uses a compression other than stored or deflated.",
                               entry=name)
        if info.file_size > max_ratio * max(info.compress_size, 1):
            raise _too_large(f"{name} expands more than {max_ratio} times; the zip looks like a zip bomb.",
                             entry=name, maxRatio=max_ratio)
    total = sum(info.file_size for info in infos)
    if total > max_bytes:
        raise _too_large(f"The zip expands to {total} bytes; at most {max_bytes} are allowed.",
                         totalBytes=total, maxBytes=max_bytes)


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text()))


def _field_path(parts: Iterable[Any]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}" if out else str(part)
    return out or "(root)"


def _first_message(errors: Any) -> str:
    while isinstance(errors, dict | list) and errors:
        errors = next(iter(errors.values())) if isinstance(errors, dict) else errors[0]
    return str(errors)


def _check_rules(serializer_class: type[serializers.Serializer], data: dict[str, Any], where: str) -> None:
    """The rules the API applies to the same fields (language codes, transition shorter than the step...)."""
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        field, errors = next(iter(serializer.errors.items()))
        path = where if field == api_settings.NON_FIELD_ERRORS_KEY else f"{where}.{field}"
        raise _invalid(f"container.json is invalid at {path}: {_first_message(errors)}", field=path)


_PROJECT_INPUT = ("title", "description", "languages")
_STEP_INPUT = ("caption", "narration", "duration", "transition", "transitionDuration")


def _step_input(step: dict[str, Any]) -> dict[str, Any]:
    """The API's input for the step (container.json uses the API's names)."""
    return {name: step[name] for name in _STEP_INPUT} | ({"effects": step["effects"]} if "effects" in step else {})


def _step_fields(step: dict[str, Any]) -> dict[str, Any]:
    """The step's fields; version 1's plain caption is the first language's (Step.save says so)."""
    return {"caption": step["caption"], "narration": step["narration"], "duration": step["duration"],
            "transition": step["transition"], "transition_duration": step["transitionDuration"],
            "machine_translated": step.get("machineTranslated", {}), "effects": step.get("effects") or {}}


def _load_container(zf: zipfile.ZipFile) -> dict[str, Any]:
    try:
        info = zf.getinfo(CONTAINER)
    except KeyError:
        raise _invalid("The zip has no container.json at its root.", field=CONTAINER)
    if info.file_size > MAX_CONTAINER_BYTES:
        raise _too_large(f"container.json is {info.file_size} bytes; at most {MAX_CONTAINER_BYTES} are allowed.",
                         entry=CONTAINER, maxBytes=MAX_CONTAINER_BYTES)
    buffer = bytearray()
    _read_entry(zf, info, buffer.extend)
    try:
        container = json.loads(bytes(buffer))
    except (ValueError, RecursionError) as exc:
        raise _invalid(f"container.json is not valid JSON: {exc}", field=CONTAINER)
    if not isinstance(container, dict):
        raise _invalid("container.json must hold a JSON object.", field="(root)")
    if "version" in container and container["version"] not in SUPPORTED_VERSIONS:
        version = str(container["version"])[:40]
        raise UnprocessableEntity(f"Export format version {version} is not supported; this Contentizer reads "
                                  f"versions {' and '.join(map(str, SUPPORTED_VERSIONS))}.",
                                  code="unsupported_version",
                                  details={"version": version, "supported": list(SUPPORTED_VERSIONS)})
    if error := jsonschema.exceptions.best_match(_validator().iter_errors(container)):
        path = _field_path(error.absolute_path)
        raise _invalid(f"container.json is invalid at {path}: {error.message[:300]}", field=path)
    project = container["project"]
    _check_rules(ProjectSerializer, {k: project[k] for k in _PROJECT_INPUT if k in project}, "project")
    _check_narration(project)
    for i, chapter in enumerate(container["chapters"]):
        _check_rules(ChapterSerializer, {"title": chapter["title"]}, f"chapters[{i}]")
        for j, step in enumerate(chapter["steps"]):
            _check_rules(StepSerializer, _step_input(step), f"chapters[{i}].steps[{j}]")
        if container["version"] >= 2:
            _check_video(chapter, f"chapters[{i}]")
    return container


def _check_narration(project: dict[str, Any]) -> None:
    """Each language's voice once, each written form once per language (as the services keep them)."""
    seen: set[Any] = set()
    for k, choice in enumerate(project.get("voices", [])):
        if (language := bcp47(choice["language"])) in seen:
            raise _invalid(f"project.voices lists {language} a second time.", field=f"project.voices[{k}]")
        seen.add(language)
    for k, entry in enumerate(project.get("lexicon", [])):
        key = (bcp47(entry["language"]), entry["written"].strip())
        if not key[1] or not entry["spoken"].strip():
            raise _invalid("A lexicon entry needs a written and a spoken form.", field=f"project.lexicon[{k}]")
        if key in seen:
            raise _invalid(f"project.lexicon lists '{key[1]}' in {key[0]} a second time.",
                           field=f"project.lexicon[{k}]")
        seen.add(key)


def _check_video(chapter: dict[str, Any], where: str) -> None:
    """A render comes with what serving it needs: its languages' subtitles and its step list."""
    video, render = chapter["video"], chapter["render"]
    if (video is None) != (render is None):
        raise _invalid(f"{where}: a render and its video description come together.", field=f"{where}.video")
    if video is None:
        return
    if missing := [lang for lang in video["languages"] if lang not in chapter["subtitles"]]:
        raise _invalid(f"{where}.subtitles lacks the render's language {missing[0]}.", field=f"{where}.subtitles")
    if len(video["steps"]) != len(chapter["steps"]):
        raise _invalid(f"{where}.video.steps has {len(video['steps'])} steps; the chapter has "
                       f"{len(chapter['steps'])}.", field=f"{where}.video.steps")
    starts = [step["start"] for step in video["steps"]]
    if starts != sorted(starts) or any(start > video["duration"] for start in starts):
        raise _invalid(f"{where}.video.steps must start in order within the video.", field=f"{where}.video.steps")
    if "pictures" in video and sorted(video["pictures"]) != sorted(video["languages"][1:]):
        raise _invalid(f"{where}.video.pictures must name each language but the first, once: "
                       f"{', '.join(video['languages'][1:])}.", field=f"{where}.video.pictures")


def _check_files(zf: zipfile.ZipFile, container: dict[str, Any], progress: Progress | None) -> None:
    records: dict[str, dict[str, Any]] = {}
    for index, record in enumerate(container["files"]):
        path, field = record["path"], f"files[{index}].path"
        if path in records:
            raise _invalid(f"{field} lists {path} a second time.", field=field)
        match = _ASSET_PATH.fullmatch(path)
        if path.startswith("assets/") and not (match and match[1] == record["sha256"]):
            raise _invalid(f"{field} must be assets/<its sha256>.<ext>, not {path}.", field=field)
        records[path] = record
    for i, chapter in enumerate(container["chapters"]):
        refs = [(f"chapters[{i}].steps[{j}].asset", step["asset"]) for j, step in enumerate(chapter["steps"])]
        refs += [(f"chapters[{i}].steps[{j}].narrationAudio.{lang}.asset", recorded["asset"])
                 for j, step in enumerate(chapter["steps"])
                 for lang, recorded in step.get("narrationAudio", {}).items()]
        refs += [(f"chapters[{i}].subtitles.{lang}.{fmt}", path)
                 for lang, pair in chapter["subtitles"].items() for fmt, path in pair.items()]
        refs += [(f"chapters[{i}].video.pictures.{lang}.render", picture["render"])
                 for lang, picture in ((chapter.get("video") or {}).get("pictures") or {}).items()]
        for field, path in [*refs, (f"chapters[{i}].render", chapter["render"])]:
            if path is not None and path not in records:
                raise _invalid(f"{field} names {path}, which container.json does not list in files.", field=field)
    names = {info.filename for info in zf.infolist()} - {CONTAINER}
    if missing := sorted(set(records) - names):
        raise UnprocessableEntity(f"{missing[0]} is listed in container.json but is not in the zip.",
                                  code="missing_entry", details={"missing": missing[:20]})
    if unlisted := sorted(names - set(records)):
        raise UnprocessableEntity(f"The zip holds {unlisted[0]}, which container.json does not list.",
                                  code="missing_entry", details={"unlisted": unlisted[:20]})
    meter = _Meter(progress, "validate", sum(record["size"] for record in records.values()))
    for path, record in records.items():
        info = zf.getinfo(path)
        if info.file_size != record["size"]:
            raise UnprocessableEntity(f"{path} is {info.file_size} bytes; container.json says {record['size']}.",
                                      code="size_mismatch", details={"entry": path, "expected": record["size"]})
        if _read_entry(zf, info, lambda chunk: None, meter) != record["sha256"]:
            raise UnprocessableEntity(f"{path} does not match the sha256 in container.json.",
                                      code="checksum_mismatch", details={"entry": path})


def import_validate(source: Source, *, progress: Progress | None = None) -> dict[str, Any]:
    """Every check of docs/export.md, reading the zip only; returns the parsed container.json."""
    try:
        with _open(source) as zf:
            _check_entries(zf.infolist())
            container = _load_container(zf)
            _check_files(zf, container, progress)
    except ApplicationError as exc:
        logger.info("import refused", extra={"event": "import.refused", "code": exc.code})
        raise
    return container


def _stage(zf: zipfile.ZipFile, record: dict[str, Any], meter: _Meter) -> TemporaryUploadedFile:
    """An asset's bytes copied out of the zip into a temporary file, as an upload would be."""
    path = record["path"]
    upload = TemporaryUploadedFile(PurePosixPath(path).name, record.get("mime") or "application/octet-stream",
                                   record["size"], None)
    try:
        upload.sha256 = _read_entry(zf, zf.getinfo(path), upload.write, meter)
        upload.flush()
        if upload.sha256 != record["sha256"]:
            raise UnprocessableEntity(f"{path} changed while it was imported.", code="checksum_mismatch",
                                      details={"entry": path})
        upload.name = record.get("originalName") or upload.name
    except BaseException:
        upload.close()  # a NamedTemporaryFile: closing it deletes it
        raise
    return upload


def _ingest(*, project: Project, record: dict[str, Any], upload: TemporaryUploadedFile, created: list[Blob]) -> Asset:
    existed = Blob.objects.filter(sha256=record["sha256"]).exists()
    asset = asset_ingest(project=project, upload=upload).asset
    if not existed:
        created.append(asset.blob)
    return asset


def _discard(created: list[Blob]) -> None:
    """After the rollback: the stored objects of blobs this import made, unless a row names them now."""
    for key in (key for blob in created for key in (blob.storage_key, blob.thumbnail_key) if key):
        if not Blob.objects.filter(Q(storage_key=key) | Q(thumbnail_key=key)).exists():
            default_storage.delete(key)


def _free_title(owner: AbstractBaseUser, title: str) -> str:
    """The exported title, or, when the owner has a project of that name, one that says it is an
    import: "Fix a flat tyre (imported)", then "(imported 2)"..."""
    taken = set(Project.objects.filter(owner=owner, title__startswith=title[:150]).values_list("title", flat=True))
    suffixes = ("", f" ({IMPORTED})", *(f" ({IMPORTED} {n})" for n in range(2, len(taken) + 2)))
    max_length = Project._meta.get_field("title").max_length
    for suffix in suffixes:
        if (candidate := title[:max_length - len(suffix)] + suffix) not in taken:
            return candidate
    raise AssertionError("one of len(taken) + 1 titles is free")


def _voice_set(project: Project, choice: dict[str, Any]) -> list[str]:
    """The exported voice and rate of a language; a voice this Contentizer lacks gives way to the
    best available one at the same rate, said in the result rather than failing the import."""
    language, voice, rate = choice["language"], choice["voice"], choice["rate"]
    try:
        voices.project_voice_set(project=project, language=language, voice=voice, rate=rate)
        return []
    except UnprocessableEntity as exc:
        if exc.code == "unsupported_language" or not voice:
            return [f"No voice here speaks {language}: its voice and rate were not kept ({exc.message})"]
        first = exc.message
    try:
        voices.project_voice_set(project=project, language=language, voice="", rate=rate)
    except UnprocessableEntity as exc:
        return [f"No voice here speaks {language}: its voice and rate were not kept ({exc.message})"]
    return [f"{first} {language} is narrated by the best available voice at the exported rate."]


def _narration_settings(project: Project, meta: dict[str, Any]) -> list[str]:
    warnings = [warning for choice in meta.get("voices", []) for warning in _voice_set(project, choice)]
    for entry in meta.get("lexicon", []):
        voices.lexicon_entry_create(project=project, **entry)
    return warnings


def _extract(zf: zipfile.ZipFile, path: str, target: Path, sha256: str, meter: _Meter) -> Path:
    with open(target, "wb") as out:
        if _read_entry(zf, zf.getinfo(path), out.write, meter) != sha256:
            raise UnprocessableEntity(f"{path} changed while it was imported.", code="checksum_mismatch",
                                      details={"entry": path})
    return target


def _package(zf: zipfile.ZipFile, chapter: dict[str, Any], sha256: dict[str, str], work_dir: Path,
             meter: _Meter) -> finished.PackagedVideo:
    """A render copied out of the zip with its subtitles, checked and cut into HLS."""
    video = chapter["video"]
    work_dir.mkdir()
    mp4 = _extract(zf, chapter["render"], work_dir / "video.mp4", sha256[chapter["render"]], meter)
    subtitles = {}
    for lang in video["languages"]:
        paths = chapter["subtitles"][lang]
        subtitles[lang] = finished.Subtitles(
            **{fmt: _extract(zf, paths[fmt], work_dir / f"{lang}.{fmt}", sha256[paths[fmt]], meter)
               for fmt in ("vtt", "srt")})
    if "pictures" not in video:  # one picture for every language
        return finished.video_package_finished(mp4=mp4, what=chapter["render"], languages=video["languages"],
                                               duration=video["duration"], subtitles=subtitles,
                                               work_dir=work_dir / "package")
    renders = [(video["languages"][0], mp4, chapter["render"], video["duration"])]
    for lang in video["languages"][1:]:
        path = video["pictures"][lang]["render"]
        renders.append((lang, _extract(zf, path, work_dir / f"video.{lang}.mp4", sha256[path], meter), path,
                        video["pictures"][lang]["duration"]))
    starts = {lang: [step.get("starts", {}).get(lang, step["start"]) for step in video["steps"]]
              for lang in video["languages"]}
    return finished.video_package_pictures(renders=renders, languages=video["languages"], subtitles=subtitles,
                                           starts=starts, work_dir=work_dir / "package")


def _renders(container: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """The chapters whose render is imported: version 1 did not describe its renders, so they are
    verified but left out, as before."""
    return {i: chapter for i, chapter in enumerate(container["chapters"]) if chapter.get("video")}


def _render_paths(chapter: dict[str, Any]) -> list[str]:
    """The render and, when each language has its own picture, every other language's."""
    return [chapter["render"], *(p["render"] for p in chapter["video"].get("pictures", {}).values())]


def _extracted_bytes(container: dict[str, Any], renders: dict[int, dict[str, Any]]) -> int:
    paths = {record["path"] for record in container["files"] if record["path"].startswith("assets/")}
    for chapter in renders.values():
        paths |= {*_render_paths(chapter), *(chapter["subtitles"][lang][fmt] for lang in chapter["video"]["languages"]
                                             for fmt in ("vtt", "srt"))}
    return sum(record["size"] for record in container["files"] if record["path"] in paths)


@dataclass(frozen=True)
class Imported:
    project: Project
    videos: int
    warnings: tuple[str, ...]


def import_project(*, owner: AbstractBaseUser, source: Source, progress: Progress | None = None) -> Project:
    """Recreate an exported project for `owner`; a refused or failed import writes nothing."""
    return import_tutorial(owner=owner, source=source, progress=progress).project


def import_tutorial(*, owner: AbstractBaseUser, source: Source, progress: Progress | None = None,
                    origin: str = "") -> Imported:
    """`import_project` with what a person should know about the result (voices this Contentizer lacks)."""
    container = import_validate(source, progress=progress)
    records = [record for record in container["files"] if record["path"].startswith("assets/")]
    sha256 = {record["path"]: record["sha256"] for record in container["files"]}
    renders = _renders(container)
    if renders:  # a video counts against the quota as a rendered one would
        paths = {path for chapter in renders.values() for path in _render_paths(chapter)}
        quota_check(owner=owner, what="The imported videos need",
                    adding=sum(record["size"] for record in container["files"] if record["path"] in paths))
    staged: dict[str, TemporaryUploadedFile] = {}
    packaged: dict[int, finished.PackagedVideo] = {}
    created: list[Blob] = []
    try:
        with _open(source) as zf, tempfile.TemporaryDirectory(prefix="import-",
                                                              dir=settings.FILE_UPLOAD_TEMP_DIR) as work:
            meter = _Meter(progress, "extract", _extracted_bytes(container, renders))
            for record in records:
                staged[record["path"]] = _stage(zf, record, meter)
            for index, chapter in renders.items():
                packaged[index] = _package(zf, chapter, sha256, Path(work) / str(index), meter)
            if progress is not None:
                progress("import", 0.0)
            project, warnings = _create(owner=owner, container=container, records=records, staged=staged,
                                        packaged=packaged, created=created, origin=origin)
    except BaseException:
        _discard(created)
        for video in packaged.values():
            finished.video_discard(video)
        raise
    finally:
        for upload in staged.values():
            upload.close()  # those the ingest took are gone already; the rest are deleted here
    logger.info("project imported", extra={"event": "import.done", "project": project.pk, "assets": len(records),
                                           "new_blobs": len(created), "videos": len(packaged)})
    return Imported(project=project, videos=len(packaged), warnings=tuple(warnings))


def _create(*, owner: AbstractBaseUser, container: dict[str, Any], records: list[dict[str, Any]],
            staged: dict[str, TemporaryUploadedFile], packaged: dict[int, finished.PackagedVideo],
            created: list[Blob], origin: str) -> tuple[Project, list[str]]:
    """The project, its narration settings, assets, chapters, steps and videos, in one transaction."""
    meta = container["project"]
    with transaction.atomic():
        languages = [resolve_language(code) or code for code in meta["languages"]] if meta.get("languages") else None
        project = services.project_create(owner=owner, title=_free_title(owner, meta["title"]),
                                          description=meta["description"], languages=languages)
        warnings = _narration_settings(project, meta)
        assets = {record["path"]: _ingest(project=project, record=record, upload=staged[record["path"]],
                                          created=created) for record in records}
        for index, chapter_data in enumerate(container["chapters"]):
            chapter = services.chapter_create(project=project, title=chapter_data["title"])
            for step in chapter_data["steps"]:
                made = services.step_create(chapter=chapter, asset=assets.get(step["asset"]), **_step_fields(step))
                for language, recorded in step.get("narrationAudio", {}).items():  # transcribed already
                    StepRecording.objects.create(step=made, language=language, asset=assets[recorded["asset"]],
                                                 status=RecordingStatus.READY, transcript=recorded["transcript"])
            if index in packaged:
                video = chapter_data["video"]
                finished.video_record_finished(chapter=chapter, packaged=packaged[index], aspect=video["aspect"],
                                               steps=video["steps"], origin=origin)
    return project, warnings
