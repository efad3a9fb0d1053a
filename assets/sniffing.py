"""Type detection from the content alone: magic bytes first, then a look at text.

Neither the file name nor the client's Content-Type is ever consulted. The result names what
the bytes are, accepted or not, so a refusal can say what was detected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import BinaryIO

import filetype

SNIFF_BYTES = 8192


@dataclass(frozen=True)
class FileType:
    mime: str
    ext: str
    kind: str | None = None  # None: detected but not accepted
    demuxer: str | None = None  # FFmpeg demuxer for audio/video; nothing else is ever tried
    pil_format: str | None = None  # the one Pillow plugin allowed to open an image

    @property
    def accepted(self) -> bool:
        return self.kind is not None


ACCEPTED: dict[str, FileType] = {
    t.ext: t
    for t in [
        FileType("image/png", "png", "image", pil_format="PNG"),
        FileType("image/jpeg", "jpg", "image", pil_format="JPEG"),
        FileType("image/webp", "webp", "image", pil_format="WEBP"),
        FileType("image/gif", "gif", "image", pil_format="GIF"),
        FileType("audio/wav", "wav", "audio", demuxer="wav"),
        FileType("audio/mpeg", "mp3", "audio", demuxer="mp3"),
        FileType("audio/mp4", "m4a", "audio", demuxer="mp4"),
        FileType("audio/aac", "aac", "audio", demuxer="aac"),
        FileType("audio/ogg", "ogg", "audio", demuxer="ogg"),
        FileType("audio/flac", "flac", "audio", demuxer="flac"),
        # WebM with sound only, as Chromium's MediaRecorder writes it (Opus); `refine` tells it
        # from a video, since both begin with the same EBML header
        FileType("audio/webm", "weba", "audio", demuxer="webm"),
        FileType("video/mp4", "mp4", "video", demuxer="mp4"),
        FileType("video/webm", "webm", "video", demuxer="webm"),
        FileType("video/quicktime", "mov", "video", demuxer="mov"),
        FileType("application/x-subrip", "srt", "subtitle"),
        FileType("text/vtt", "vtt", "subtitle"),
    ]
}

# filetype's names for the formats we accept, where they differ from ours
_FILETYPE_ALIASES = {"m4v": "mp4"}
# ISO BMFF brands seen in the wild, by what they hold
_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"F4A "}
_QUICKTIME_BRANDS = {b"qt  "}

_PLAYLIST_MARKERS = (
    ("#extm3u", "application/vnd.apple.mpegurl"),
    ("ffconcat", "text/x-ffconcat"),
    ("[playlist]", "audio/x-scpls"),
    ("<asx", "video/x-ms-asf-playlist"),
    ("<smil", "application/smil+xml"),
    ("#extinf", "audio/x-mpegurl"),
)
_CONCAT_LINE = re.compile(r"^\s*file\s+['\"]", re.MULTILINE)
_HTML_MARKERS = ("<!doctype html", "<html", "<head", "<body", "<script", "<iframe", "<meta")
_SRT_START = re.compile(
    r"^\s*\d+\s*\r?\n\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}\s*-->\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}"
)


def sniff(head: bytes) -> FileType:
    """Detect the type of a file from its first bytes (pass at least SNIFF_BYTES)."""
    return _sniff_binary(head) or _sniff_text(head)


def sniff_file(fh: BinaryIO) -> FileType:
    """sniff() on a file, also looking behind an ID3 tag: FFmpeg's own probe skips the tag, so
    an "MP3" whose tag is followed by a playlist or concat script is one to FFmpeg."""
    head = fh.read(SNIFF_BYTES)
    detected = sniff(head)
    if head.startswith(b"ID3") and len(head) >= 10:
        size = 10 + sum((b & 0x7F) << (7 * (3 - i)) for i, b in enumerate(head[6:10]))
        fh.seek(size)
        text = fh.read(64).decode("utf-8", "replace").lstrip().lower()
        for marker, mime in (*_PLAYLIST_MARKERS, ("file '", "text/x-ffconcat")):
            if text.startswith(marker):
                return FileType(mime, "playlist")
    return detected


def _sniff_binary(head: bytes) -> FileType | None:
    kind = filetype.guess(head)
    if kind is None:
        return None
    ext = _FILETYPE_ALIASES.get(kind.extension, kind.extension)
    if ext in ("mp4", "mov", "m4a"):
        ext = _iso_bmff_ext(head) or ext
    return ACCEPTED.get(ext) or FileType(kind.mime, ext)


def _iso_bmff_ext(head: bytes) -> str | None:
    if head[4:8] != b"ftyp":
        return None
    brand = head[8:12]
    if brand in _AUDIO_BRANDS:
        return "m4a"
    if brand in _QUICKTIME_BRANDS:
        return "mov"
    return "mp4"


def _decode_text(head: bytes) -> str | None:
    if b"\x00" in head:
        return None
    text = head.removeprefix(b"\xef\xbb\xbf")
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError as exc:
        # the sniff window may cut a multi-byte character in half at its end
        if exc.start < len(text) - 4:
            return None
        return text[: exc.start].decode("utf-8")


def _sniff_text(head: bytes) -> FileType:
    text = _decode_text(head)
    if text is None:
        return FileType("application/octet-stream", "bin")
    lowered = text.lstrip().lower()
    for marker, mime in _PLAYLIST_MARKERS:
        if lowered.startswith(marker) or (marker.startswith("#ext") and marker in lowered):
            return FileType(mime, "playlist")
    # Subtitles before the looser checks: a caption may well say "file 'x'" or "<b>".
    if lowered.startswith("webvtt"):
        return ACCEPTED["vtt"]
    if _SRT_START.match(text):
        return ACCEPTED["srt"]
    if _CONCAT_LINE.search(text):
        return FileType("text/x-ffconcat", "playlist")
    if "<svg" in lowered[:2048]:
        return FileType("image/svg+xml", "svg")
    if any(marker in lowered[:2048] for marker in _HTML_MARKERS):
        return FileType("text/html", "html")
    if lowered.startswith("<?xml"):
        return FileType("application/xml", "xml")
    return FileType("text/plain", "txt")


def demuxer_for(ext: str) -> str:
    """The FFmpeg demuxer that must read a stored blob of this type (never left to probing).
    image2 picks its decoder by extension and has none for .gif; gif_pipe reads one."""
    filetype = ACCEPTED[ext]
    return filetype.demuxer or ("gif_pipe" if ext == "gif" else "image2")
