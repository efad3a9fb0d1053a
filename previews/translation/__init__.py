"""Machine translation, offline: engines (one file each), the registry of language pairs, protected spans.
The rest of the product uses only the names below."""

from previews.translation.base import Pair, TranslationEngine, TranslationUnavailable
from previews.translation.catalogue import available_pairs, engine_of, pair_for, pairs, problems
from previews.translation.protect import Protected, find_spans, translate_protected

__all__ = [
    "Pair", "Protected", "TranslationEngine", "TranslationUnavailable", "available_pairs", "engine_of",
    "find_spans", "pair_for", "pairs", "problems", "translate", "translate_protected",
]


def translate(pair: Pair, text: str, *, terms=()) -> Protected:
    """`text` (any number of lines) in the pair's target language, its protected spans kept."""
    engine = engine_of(pair)
    return translate_protected(text, lambda line: engine.translate(pair, line), terms=terms)
