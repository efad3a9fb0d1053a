"""A project's pronunciation lexicon: written forms replaced by how they are said, before the text
normaliser and the engine see the narration. Subtitles keep the written form."""

from __future__ import annotations

import logging
import re

logger = logging.getLogger(__name__)


def apply(text: str, entries: list[tuple[str, str]]) -> tuple[str, list[tuple[str, str]]]:
    """Replace every whole-word, case-sensitive occurrence of a written form by its spoken form, the
    longest written form first (so "Contentizer Pro" wins over "Contentizer"), in one pass (a spoken
    form is never replaced again). Returns the text and the entries that were used, in written order."""
    if not entries:
        return text, []
    spoken = dict(entries)
    pattern = re.compile("|".join(rf"(?<!\w){re.escape(written)}(?!\w)"
                                  for written in sorted(spoken, key=lambda w: (-len(w), w))))
    used: dict[str, str] = {}

    def replace(match: re.Match) -> str:
        used[match.group(0)] = spoken[match.group(0)]
        return spoken[match.group(0)]

    return pattern.sub(replace, text), sorted(used.items())
