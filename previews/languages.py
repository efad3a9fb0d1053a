"""Language tags as containers and playlists want them."""

from __future__ import annotations

import iso639


def iso639_2(tag: str) -> str:
    """MP4 tracks carry three-letter (ISO 639-2/T) codes; "en" or "pt-BR" in, "eng" or "por" out."""
    try:
        return iso639.Language.from_part1(tag.split("-")[0].lower()).part2t or "und"
    except iso639.LanguageNotFoundError:
        return tag.split("-")[0].lower() if len(tag.split("-")[0]) == 3 else "und"


def language_name(tag: str) -> str:
    try:
        return iso639.Language.from_part1(tag.split("-")[0].lower()).name
    except iso639.LanguageNotFoundError:
        return tag
