"""Language codes: the one rule for every place a language is named (project languages, step
narration, video languages), and the names people read."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

import iso639
import langcodes

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
    """"German" for "de", "Portuguese (Brazil)" for "pt-BR", "Klingon" for "tlh"; the tag when
    unknown. Names come from CLDR (langcodes' data), then ISO 639."""
    try:
        language = langcodes.get(tag)
    except (langcodes.tag_parser.LanguageTagError, ValueError):
        return _iso_name(tag)
    name = language.display_name("en")
    return _iso_name(tag) if name.startswith("Unknown language") else name


def _iso_name(tag: str) -> str:
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


def resolve_language(text: str) -> str | None:
    """A language as an author writes it: a BCP 47 code ("de", "pt-BR") stays as written; a name in
    English or in the language itself ("German", "Deutsch", "Portuguese (Brazil)") becomes its
    code. None when it is neither."""
    text = text.strip()
    if LANGUAGE_CODE.fullmatch(text):
        return text
    if _CODE_ANY_CASE.fullmatch(text):  # "EN", "Pt-br": a code in other letters, never a name ("EN" is not "Enets")
        try:
            return langcodes.standardize_tag(text)
        except (langcodes.tag_parser.LanguageTagError, ValueError):
            return text  # refused as a code by invalid_codes, as before
    name, region = (m.group(1).strip(), m.group(2).strip()) if (m := _REGIONAL.fullmatch(text)) else (text, "")
    try:
        language = langcodes.find(name)
    except LookupError:
        return None
    if region:
        try:
            territory = langcodes.Language.find_name("territory", region, "en").territory
        except LookupError:
            return None
        language = language.update_dict({"territory": territory})
    return language.to_tag()


_REGIONAL = re.compile(r"(.+)\((.+)\)")
_CODE_ANY_CASE = re.compile(LANGUAGE_CODE.pattern, re.IGNORECASE)


def split_languages(text: str) -> list[str]:
    """"en, de", "en de", "German; Portuguese (Brazil)" → the entries in the order written: commas
    and semicolons separate names (outside parentheses), and a part made only of codes may
    separate them with spaces."""
    parts = [part.strip() for part in re.split(r"[,;](?![^()]*\))", text)]
    entries: list[str] = []
    for part in filter(None, parts):
        words = part.split()
        entries += words if all(LANGUAGE_CODE.fullmatch(w) for w in words) else [part]
    return entries
