"""Language codes: the one rule for every place a language is named (project languages, step
narration, video languages), and the names people read."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

import iso639

logger = logging.getLogger(__name__)

# BCP 47 as authors write it: a 2-3 letter language, then optional subtags ("en", "pt-BR", "zh-Hant").
LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")
MAX_LANGUAGES = 20


def invalid_codes(codes: Iterable[str]) -> list[str]:
    return [code for code in codes if not LANGUAGE_CODE.fullmatch(code)]


def invalid_codes_message(bad: list[str]) -> str:
    return f"Not language codes (use BCP 47, like 'en' or 'pt-BR'): {', '.join(bad)}"


def duplicates(codes: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    repeated = []
    for code in codes:
        if code.lower() in seen and code not in repeated:
            repeated.append(code)
        seen.add(code.lower())
    return repeated


def language_name(tag: str) -> str:
    """"German" for "de", "Portuguese" for "pt-BR", "Klingon" for "tlh"; the tag when unknown."""
    base = tag.split("-")[0].lower()
    try:
        return iso639.Language.from_part1(base).name
    except iso639.LanguageNotFoundError:
        try:
            return iso639.Language.from_part3(base).name
        except iso639.LanguageNotFoundError:
            return tag


def iso639_2(tag: str) -> str:
    """MP4 tracks carry three-letter (ISO 639-2/T) codes; "en" or "pt-BR" in, "eng" or "por" out."""
    try:
        return iso639.Language.from_part1(tag.split("-")[0].lower()).part2t or "und"
    except iso639.LanguageNotFoundError:
        return tag.split("-")[0].lower() if len(tag.split("-")[0]) == 3 else "und"
