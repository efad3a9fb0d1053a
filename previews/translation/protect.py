"""Protected spans: text a translation must keep byte for byte (keyboard shortcuts, version numbers,
file names, URLs, inline code, the project's product names).

Each span is replaced by a placeholder the models keep (a short made-up word such as "Xq0": an
unknown word is copied through, while brackets and braces are dropped or read as numbers — measured
with the bundled model), the text is translated, and the spans are put back. When the translation
lost, doubled or invented a placeholder, the pieces between the spans are translated one by one and
joined with the spans instead: a translated text never carries a changed span.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

logger = logging.getLogger(__name__)

_MODIFIER = r"(?:Ctrl|Control|Cmd|Command|Alt|AltGr|Option|Opt|Shift|Win|Windows|Super|Meta|Fn|Hyper|⌘|⌥|⇧|⌃)"
_KEY = (r"(?:F(?:1[0-9]|2[0-4]|[1-9])|Enter|Return|Esc|Escape|Tab|Space|Spacebar|Backspace|Delete|Del|Insert|Ins|"
        r"Home|End|PageUp|PageDown|PgUp|PgDn|Up|Down|Left|Right|PrtSc|PrintScreen|Pause|Plus|Minus|"
        r"[A-Za-z0-9]|[`~!@#$%^&*()\-_=+\[\]{};:'\",.<>/?\\|])")
_EXTENSIONS = (
    "json|jsonc|yaml|yml|toml|ini|cfg|conf|config|env|properties|txt|md|rst|csv|tsv|xml|html|htm|css|scss|js|mjs|"
    "cjs|ts|tsx|jsx|vue|svelte|py|ipynb|rb|go|rs|java|kt|swift|c|h|cc|cpp|hpp|cs|php|pl|lua|r|sql|sh|bash|zsh|"
    "ps1|bat|cmd|exe|msi|dmg|pkg|deb|rpm|apk|ipa|app|jar|war|zip|tar|gz|tgz|bz2|xz|7z|rar|iso|img|pdf|doc|docx|"
    "xls|xlsx|ppt|pptx|odt|ods|odp|png|jpg|jpeg|gif|svg|webp|ico|bmp|tif|tiff|mp4|mov|mkv|webm|avi|mp3|wav|ogg|"
    "flac|m4a|srt|vtt|log|lock|db|sqlite|sqlite3|bak|tmp|dll|so|dylib|wasm|onnx|bin|spm|mo|po|pem|crt|key"
)
_PATTERNS = (
    re.compile(r"`[^`\n]+`"),  # inline code
    re.compile(r"\b(?:https?|ftp)://[^\s<>\"]+[^\s<>\".,;:!?)\]}'’”]|\bwww\.[^\s<>\"]+[^\s<>\".,;:!?)\]}'’”]"),
    re.compile(rf"(?<![\w+]){_MODIFIER}(?:\s?\+\s?(?:{_MODIFIER}|{_KEY}))+(?![\w+])"),  # Ctrl+Shift+P, Cmd + S
    re.compile(r"(?<![\w-])F(?:1[0-9]|2[0-4]|[1-9])(?![\w-])"),  # a function key on its own: F5
    re.compile(rf"(?<![\w/.~-])(?:~?/)?(?:[\w.-]+/)*[\w-][\w.-]*\.(?:{_EXTENSIONS})(?![\w/-])", re.IGNORECASE),
    re.compile(r"(?<![\w/~-])\.(?:env|gitignore|gitattributes|dockerignore|editorconfig|npmrc|bashrc|zshrc|profile)"
               r"(?![\w-])"),
    re.compile(r"(?<![\w.])[vV]\d+(?:\.\d+)*(?:-[0-9A-Za-z.]+)?(?![\w])"),  # v2, v2.0, v1.2.3-beta.1
    re.compile(r"(?<![\w.])\d+(?:\.\d+){2,}(?:-[0-9A-Za-z.]+)?(?![\w]|\.\d)"),  # 3.2.1
    re.compile(r"(?<=\b[Vv]ersion )\d+\.\d+(?![\w]|\.\d)|(?<=\b[Rr]elease )\d+\.\d+(?![\w]|\.\d)"),  # version 2.5
)
_PREFIX = "Xq"
PLACEHOLDER = _PREFIX + "{}"
_PLACEHOLDER_SHAPE = re.compile(_PREFIX + r"\d+")


def find_spans(text: str, terms: Iterable[str] = ()) -> list[tuple[int, int]]:
    """Where the protected spans are: (start, end) pairs, in order, never overlapping (where two
    candidates overlap, the one that starts first wins, then the longer)."""
    found = [(m.start(), m.end()) for pattern in (*_PATTERNS, _terms_pattern(terms)) if pattern
             for m in pattern.finditer(text) if m.end() > m.start()]
    spans: list[tuple[int, int]] = []
    for start, end in sorted(found, key=lambda s: (s[0], -s[1])):
        if not spans or start >= spans[-1][1]:
            spans.append((start, end))
    return spans


def _terms_pattern(terms: Iterable[str]) -> re.Pattern | None:
    """Product names: whole words, case-sensitive, the longest first ("Contentizer Studio" before "Contentizer")."""
    words = sorted({t.strip() for t in terms if t and t.strip()}, key=lambda t: (-len(t), t))
    if not words:
        return None
    return re.compile("|".join(rf"(?<!\w){re.escape(word)}(?!\w)" for word in words))


@dataclass(frozen=True)
class Protected:
    text: str
    spans: tuple[str, ...]  # the protected spans of the source, in order
    preserved: int  # how many of them the translation carries byte for byte
    strategy: str  # "plain" (nothing to protect), "placeholders", or "pieces" (the fallback)


Translate = Callable[[str], str]


# Where a sentence ends: after . ! ? or … and spaces, before a capital (or an opening quote or bracket and
# one). A file name or version never matches: its dots are not followed by a space.
_SENTENCE_END = re.compile(r"(?<=[.!?…])(\s+)(?=[\"'“‘(\[¿¡]?[A-ZÀ-ÖØ-Þ])")


def translate_protected(text: str, translate: Translate, *, terms: Iterable[str] = ()) -> Protected:
    """Translate `text` sentence by sentence, line by line (the models join lines into one, and lose
    placeholders in long inputs), keeping every protected span and the spaces and line breaks between."""
    results, separators = [], []
    for line_number, line in enumerate(text.split("\n")):
        if line_number:
            separators.append("\n")
        parts = _SENTENCE_END.split(line)
        results += [_sentence(part, translate, tuple(terms)) for part in parts[::2]]
        separators += parts[1::2]
    spans = tuple(span for result in results for span in result.spans)
    strategy = "pieces" if any(r.strategy == "pieces" for r in results) else (
        "placeholders" if spans else "plain")
    joined = "".join(r.text + sep for r, sep in zip(results, [*separators, ""], strict=True))
    return Protected(text=joined, spans=spans, preserved=sum(r.preserved for r in results), strategy=strategy)


def _sentence(line: str, translate: Translate, terms: tuple[str, ...]) -> Protected:
    if not _has_words(line):
        return Protected(text=line, spans=(), preserved=0, strategy="plain")
    spans = find_spans(line, terms)
    if not spans:
        return Protected(text=_keep_edges(line, translate), spans=(), preserved=0, strategy="plain")
    originals = tuple(line[start:end] for start, end in spans)
    if not _PLACEHOLDER_SHAPE.search(line):  # a text that already holds placeholder-like words goes piece by piece
        masked, last = [], 0
        for i, (start, end) in enumerate(spans):
            masked += [line[last:start], PLACEHOLDER.format(i)]
            last = end
        masked.append(line[last:])
        restored = _restore(_keep_edges("".join(masked), translate), originals)
        if restored is not None:
            return Protected(text=restored, spans=originals, preserved=len(originals), strategy="placeholders")
        logger.info("a placeholder was lost; translating the pieces between the spans",
                    extra={"event": "translation.placeholders_lost", "spans": len(originals)})
    return Protected(text=_pieces(line, spans, translate), spans=originals, preserved=len(originals),
                     strategy="pieces")


def _restore(translated: str, originals: tuple[str, ...]) -> str | None:
    """The translation with the spans back, or None unless each placeholder is there exactly once
    and the model made up none of its own."""
    found = _PLACEHOLDER_SHAPE.findall(translated)
    if sorted(found) != sorted(PLACEHOLDER.format(i) for i in range(len(originals))):
        return None
    return _PLACEHOLDER_SHAPE.sub(lambda m: originals[int(m.group(0)[len(_PREFIX):])], translated)


def _pieces(line: str, spans: list[tuple[int, int]], translate: Translate) -> str:
    out, last = [], 0
    for start, end in spans:
        out += [_keep_edges(line[last:start], translate), line[start:end]]
        last = end
    out.append(_keep_edges(line[last:], translate))
    return "".join(out)


def _has_words(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


def _keep_edges(text: str, translate: Translate) -> str:
    """Translate what has words, keeping the spaces around it (they join it to the spans)."""
    if not _has_words(text):
        return text
    core = text.strip()
    lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()):]
    return f"{lead}{translate(core)}{trail}"
