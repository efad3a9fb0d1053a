"""Subtitle files from narration: one cue per narrated scene, timed by the real speech."""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import webvtt

MAX_LINE = 42
MAX_LINES = 2
ZWSP = "\u200b"


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str


def _stamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def cues_for(text: str, start: float, end: float) -> list[Cue]:
    """Split a narration into cues of at most two 42-character lines, sharing its time by length."""
    lines = textwrap.wrap(" ".join(text.split()), MAX_LINE)
    if not lines:
        return []
    chunks = ["\n".join(lines[i:i + MAX_LINES]) for i in range(0, len(lines), MAX_LINES)]
    total = sum(len(c) for c in chunks)
    cues, t = [], start
    for chunk in chunks:
        share = (end - start) * len(chunk) / total
        cues.append(Cue(round(t, 3), round(t + share, 3), chunk))
        t += share
    return cues


def vtt_text(text: str) -> str:
    """Cue text as WebVTT reads it back: `&`, `<` and `>` escaped, so that "File --> Save As" can
    neither end the cue nor start another, and "<Enter>" is shown, not taken for a tag."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def srt_text(text: str) -> str:
    """Cue text as SubRip readers show it. SRT has no escapes, and readers (FFmpeg's among them)
    take `<word>` for a formatting tag and `{\\...}` for an override, dropping them: an invisible
    zero-width space after the `<` or `{` keeps such text as text. "-->" inside a line is fine."""
    return re.sub(r"\{(?=\\)", "{" + ZWSP, re.sub(r"<(?=[A-Za-z/!?])", "<" + ZWSP, text))


def write(cues: list[Cue], *, vtt_path: Path, srt_path: Path) -> None:
    """Both files from the same cues, whatever their text holds (anything the author can type)."""
    document = webvtt.WebVTT(captions=[webvtt.Caption(_stamp(c.start), _stamp(c.end), vtt_text(c.text))
                                       for c in cues])
    document.save(str(vtt_path))
    blocks = [f"{n}\n{_stamp(c.start).replace('.', ',')} --> {_stamp(c.end).replace('.', ',')}\n{srt_text(c.text)}\n"
              for n, c in enumerate(cues, start=1)]
    srt_path.write_text("\n".join(blocks), encoding="utf-8")
