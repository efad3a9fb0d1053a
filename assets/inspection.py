"""Decide whether an upload really is the media its bytes claim, and read its metadata.

Every check here runs on the local temporary file of an upload, before anything is stored.
Limits are checked on headers first, so a pixel bomb or an absurd stream count is refused
before a single frame is decoded.
"""

from __future__ import annotations

import logging
import re
import warnings
from dataclasses import dataclass, field, replace

import webvtt
from django.conf import settings
from PIL import Image

from assets.sniffing import ACCEPTED, FileType
from contentizer.media import probe

logger = logging.getLogger(__name__)


class InvalidMedia(Exception):
    """The file is of an accepted type but does not decode, or breaks a limit (422)."""

    def __init__(self, message: str, *, details: dict | None = None) -> None:
        super().__init__(message)
        self.details = details or {}


@dataclass
class Inspection:
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    codecs: list[str] = field(default_factory=list)
    preview: Image.Image | None = None  # source of the thumbnail or poster, if the kind has one


SOUND_ONLY = {"mp4": "m4a", "webm": "weba"}


def refine(path: str, filetype: FileType) -> FileType:
    """An ISO-BMFF file's brand does not say audio or video (plenty of .m4a files say "isom"), nor
    does a WebM's header: an MP4 or WebM with audio and no video is audio."""
    if filetype.ext not in SOUND_ONLY:
        return filetype
    try:
        info = probe.probe(path, demuxer=filetype.demuxer, max_streams=settings.ASSET_MAX_STREAMS)
    except probe.ProbeError:
        return filetype  # inspect() reports it
    if info.first("video") is None and info.first("audio") is not None:
        return ACCEPTED[SOUND_ONLY[filetype.ext]]
    return filetype


def inspect(path: str, filetype: FileType) -> Inspection:
    inspector = {
        "image": _inspect_image,
        "audio": _inspect_av,
        "video": _inspect_av,
        "subtitle": _inspect_subtitle,
    }[filetype.kind]
    try:
        return inspector(path, filetype)
    except InvalidMedia as exc:
        # Decoders name the file they read (our temporary file): the message a client gets
        # says what is wrong with the upload, never where the server keeps it.
        raise InvalidMedia(without_paths(str(exc), path), details=exc.details) from exc


_QUOTED_PATH = re.compile(r"""(['"])(?:[A-Za-z]:)?[/\\][^'"]*\1""")


def without_paths(message: str, path: str) -> str:
    return _QUOTED_PATH.sub("the upload", message).replace(path, "the upload")


def _check_dimensions(width: int, height: int, what: str) -> None:
    side = settings.ASSET_MAX_IMAGE_SIDE
    details = {"width": width, "height": height}
    if width < 1 or height < 1:
        raise InvalidMedia(f"The {what} has no pixels ({width}x{height}).", details=details)
    if width > side or height > side:
        raise InvalidMedia(
            f"The {what} is {width}x{height}; each side may be at most {side} pixels.",
            details={**details, "maxSide": side},
        )
    if width * height > settings.ASSET_MAX_IMAGE_PIXELS:
        raise InvalidMedia(
            f"The {what} has {width * height} pixels; at most "
            f"{settings.ASSET_MAX_IMAGE_PIXELS} are allowed.",
            details={**details, "maxPixels": settings.ASSET_MAX_IMAGE_PIXELS},
        )
    ratio = max(width, height) / min(width, height)
    if ratio > settings.ASSET_MAX_ASPECT_RATIO:
        raise InvalidMedia(
            f"The {what} is {width}x{height}; the aspect ratio may be at most "
            f"{settings.ASSET_MAX_ASPECT_RATIO:g}:1.",
            details={**details, "maxAspectRatio": settings.ASSET_MAX_ASPECT_RATIO},
        )


def _count_frames(img: Image.Image) -> int:
    """Frames up to the limit + 1, seeking one by one: `n_frames` would walk a whole file of
    millions of frames first. Each seek also decodes, so a damaged later frame shows here."""
    limit = settings.ASSET_MAX_IMAGE_FRAMES
    if not getattr(img, "is_animated", False):
        return 1
    for index in range(1, limit + 1):
        try:
            img.seek(index)
            img.load()
        except EOFError:
            return index
    return limit + 1


def _inspect_image(path: str, filetype: FileType) -> Inspection:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path, formats=[filetype.pil_format]) as img:
                width, height = img.width, img.height  # before draft(), which shrinks JPEGs
                _check_dimensions(width, height, "image")
                frames = _count_frames(img)
                if frames > settings.ASSET_MAX_IMAGE_FRAMES:
                    raise InvalidMedia(
                        f"The image has more than {settings.ASSET_MAX_IMAGE_FRAMES} frames.",
                        details={"maxFrames": settings.ASSET_MAX_IMAGE_FRAMES},
                    )
                img.seek(0)
                img.draft("RGB", (settings.ASSET_THUMBNAIL_SIZE,) * 2)
                img.load()
                preview = img.copy()
                preview.thumbnail((settings.ASSET_THUMBNAIL_SIZE,) * 2)
                return Inspection(width=width, height=height, codecs=[filetype.ext], preview=preview)
    except InvalidMedia:
        raise
    except MemoryError:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        # Pillow checks the size in its header before anything is decoded; the image is not damaged
        pixels = re.search(r"\((\d+) pixels\)", str(exc))
        limit = settings.ASSET_MAX_IMAGE_PIXELS
        raise InvalidMedia(
            f"The image has {pixels[1] + ' pixels' if pixels else 'too many pixels'}; at most {limit} are allowed.",
            details={"maxPixels": limit, **({"pixels": int(pixels[1])} if pixels else {})},
        ) from exc
    except Exception as exc:  # noqa: BLE001 - Pillow's plugins raise anything on hostile data
        raise InvalidMedia(f"The image is damaged or does not decode as {filetype.mime}: {exc}") from exc


def _inspect_av(path: str, filetype: FileType) -> Inspection:
    try:
        info = probe.probe(path, demuxer=filetype.demuxer, max_streams=settings.ASSET_MAX_STREAMS)
        stream = info.first(filetype.kind)
        if stream is None:
            raise InvalidMedia(f"The file has no {filetype.kind} stream.")
        if info.duration is None and filetype.demuxer == "webm":
            # a recording written live (MediaRecorder) has no duration in its header: its
            # packets say how long it is
            info = replace(info, duration=probe.verify_decodes(path, demuxer=filetype.demuxer) or None)
        if info.duration is None or info.duration <= 0:
            raise InvalidMedia("The file has no duration; it may be truncated.")
        if info.duration > settings.ASSET_MAX_DURATION_SECONDS:
            raise InvalidMedia(
                f"The file lasts {info.duration:.0f}s; at most "
                f"{settings.ASSET_MAX_DURATION_SECONDS:.0f}s is allowed.",
                details={"duration": info.duration},
            )
        if filetype.kind == "video":
            _check_dimensions(stream.width or 0, stream.height or 0, "video")
        duration = probe.verify_decodes(path, demuxer=filetype.demuxer, expected_duration=info.duration)
        preview = None
        if filetype.kind == "video":
            at = min(1.0, info.duration / 3)
            preview = probe.poster_frame(path, demuxer=filetype.demuxer, at_seconds=at)
    except probe.ProbeError as exc:
        raise InvalidMedia(f"The file does not decode as {filetype.mime}: {exc}") from exc
    return Inspection(
        width=stream.width, height=stream.height, duration=round(min(duration, info.duration), 3),
        codecs=info.codecs, preview=preview,
    )


def _inspect_subtitle(path: str, filetype: FileType) -> Inspection:
    try:
        with open(path, encoding="utf-8-sig") as fh:
            text = fh.read()
    except UnicodeDecodeError as exc:
        raise InvalidMedia("Subtitle files must be UTF-8 text.") from exc
    try:
        captions = (webvtt.from_srt(path) if filetype.ext == "srt" else webvtt.read(path)).captions
    except (webvtt.errors.MalformedFileError, webvtt.errors.MalformedCaptionError) as exc:
        raise InvalidMedia(f"The subtitle file does not parse: {exc}") from exc
    if not captions:
        raise InvalidMedia("The subtitle file has no cues.")
    # The parser skips a cue whose timing it cannot read; a cue lost is an error to the author.
    if (timings := text.count("-->")) != len(captions):
        raise InvalidMedia(
            f"The subtitle file has {timings} timing lines but only {len(captions)} readable cues; "
            "check the timestamps (HH:MM:SS,mmm --> HH:MM:SS,mmm).",
        )
    backwards = [i + 1 for i, c in enumerate(captions) if c.end_time.in_milliseconds() < c.start_time.in_milliseconds()]
    if backwards:
        raise InvalidMedia(f"Cue {backwards[0]} ends before it starts.", details={"cues": backwards[:20]})
    end = max(c.end_time.in_milliseconds() for c in captions) / 1000
    if end > settings.ASSET_MAX_DURATION_SECONDS:
        raise InvalidMedia(
            f"The subtitles run to {end:.0f}s; at most {settings.ASSET_MAX_DURATION_SECONDS:.0f}s is allowed.",
            details={"duration": end},
        )
    return Inspection(duration=end, codecs=[filetype.ext])
