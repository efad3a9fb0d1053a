"""How fast a dubbed clip may be played before listeners lose words: the listening test behind
previews.dubs.media.MAX_SPEED.

Standalone script, not a test: `.venv/bin/python bench/dub_speed.py` from the repo root. The ten tutorial
sentences of tests/previews/speech.py (and the same ten in Portuguese and German, translated by hand
below) are said by the product's voices as narration says them (through the product's normaliser): English
by the bundled neural voice (hibari), Portuguese and German by eSpeak NG (their default voices). Each clip
is sped up at every speed below by the dub's own filter (`media.atempo`, run by the product's FFmpeg) and
transcribed on its own by the product's recogniser (`previews.asr.transcribe`: the bundled multilingual
Whisper base model, the language given). WER per voice and speed, over the ten sentences; reference and
transcript read the same way (the product's normaliser says numbers and symbols in words, then lower
case without punctuation, as tests/previews/speech.py:comparable does for English).
Everything goes to a throwaway DATA_DIR removed at the end (ASR_MODEL_CACHE_DIR, where the Whisper base
model is joined from its two wheels, may be set to keep it between runs).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SPEEDS = (1.0, 1.15, 1.25, 1.4, 1.6)

PORTUGUESE = [
    "Pressione Ctrl+S para salvar o projeto antes de fechar o editor.",
    "O plano gratuito guarda até 15 MB por vídeo, e o plano de equipe guarda 2 GB.",
    "Abra o GitHub no Firefox e entre com a sua conta de trabalho.",
    "Instale a versão 2.1 do aplicativo de desktop e depois reinicie o computador.",
    "A renderização leva cerca de 3,5 s por slide em um notebook.",
    "Ajuste a música de fundo para 50% no mixer.",
    "Use Ctrl+Shift+P para abrir a paleta de comandos no Visual Studio Code.",
    "Exporte o capítulo como um vídeo com legendas em inglês e alemão.",
    "Arraste a captura de tela para a linha do tempo e corte-a para 10 segundos.",
    "Suas alterações foram publicadas em 2024-03-05 e 120 pessoas já as viram.",
]
GERMAN = [
    "Drücke Strg+S, um das Projekt zu speichern, bevor du den Editor schließt.",
    "Der kostenlose Tarif speichert bis zu 15 MB pro Video, der Team-Tarif 2 GB.",
    "Öffne GitHub in Firefox und melde dich mit deinem Arbeitskonto an.",
    "Installiere Version 2.1 der Desktop-App und starte dann deinen Computer neu.",
    "Das Rendern dauert auf einem Laptop etwa 3,5 s pro Folie.",
    "Stelle die Hintergrundmusik im Mischpult auf 50%.",
    "Mit Strg+Umschalt+P öffnest du die Befehlspalette in Visual Studio Code.",
    "Exportiere das Kapitel als Video mit Untertiteln auf Englisch und Deutsch.",
    "Ziehe den Screenshot in die Zeitleiste und kürze ihn auf 10 Sekunden.",
    "Deine Änderungen wurden am 2024-03-05 veröffentlicht und 120 Personen haben sie gesehen.",
]


def comparable(text: str, language: str) -> str:
    """tests/previews/speech.py:comparable for any language: the normaliser's words, lower case, no punctuation."""
    from previews.tts import normalize

    said = normalize(text, language).lower().replace("-", " ")
    words = re.sub(r"[^\w' ]+", " ", said).split()
    return " ".join({"ctrl": "control", "strg": "steuerung"}.get(word, word) for word in words)


def speak(language: str, voice_id: str | None, sentences: list[str], work: Path) -> tuple[str, list[Path]]:
    from previews import tts
    from previews.tts import catalogue

    voice = tts.voice_get(voice_id) if voice_id else tts.default_voice(language)
    if voice is None or not voice.available:
        raise RuntimeError(f"{voice_id or language} is not available")
    engine, clips = catalogue.engines()[voice.engine], []
    for n, sentence in enumerate(sentences):
        spoken, _ = tts.spoken_text(text=sentence, language=language, entries=[])
        clips.append(work / f"{language}-{n}.wav")
        engine.synthesize(voice, spoken, 1.0, clips[-1])
    return voice.id, clips


def faster(clip: Path, speed: float) -> Path:
    from contentizer.media import ffmpeg
    from previews.dubs import media

    if speed == 1.0:
        return clip
    out = clip.with_name(f"{clip.stem}-x{speed}.wav")
    ffmpeg.run(["-f", "wav", "-i", str(clip), "-af", media.atempo(speed), "-f", "wav", str(out)], timeout=60)
    return out


def heard(clip: Path, language: str, work: Path) -> str:
    from contentizer.media.compose import Media
    from previews import asr

    return asr.transcribe(Media(clip, "wav"), language=language, work_dir=work).text


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="dub-speed-bench-"))
    try:
        os.environ.update(DJANGO_SETTINGS_MODULE="contentizer.settings", DATA_DIR=str(tmp / "data"))
        sys.path.insert(0, str(REPO))
        import django

        django.setup()
        logging.disable(logging.WARNING)
        import jiwer

        from contentizer.media import probe
        from tests.previews.speech import TUTORIAL_SENTENCES

        print("WER by speed: the ten sentences as one corpus (jiwer), then the mean of each sentence's WER capped "
              "at 100 % (one hallucinated sentence, where Whisper loops on a word, weighs no more than one lost)")
        print(f"{'voice':16} {'lang':4} " + " ".join(f"{f'x{s:g}':>13}" for s in SPEEDS) + "   speech at x1")
        for language, voice_id, sentences in (("en", "hibari:heart", TUTORIAL_SENTENCES), ("pt", None, PORTUGUESE),
                                              ("de", None, GERMAN)):
            work = tmp / language
            work.mkdir()
            started = time.perf_counter()
            voice, clips = speak(language, voice_id, sentences, work)
            references = [comparable(s, language) for s in sentences]
            cells = []
            for speed in SPEEDS:
                said = [comparable(heard(faster(clip, speed), language, work), language) for clip in clips]
                capped = statistics.mean(min(1.0, jiwer.wer(r, h)) for r, h in zip(references, said, strict=True))
                cells.append(f"{jiwer.wer(references, said):>6.0%}/{capped:<6.0%}")
            seconds = sum(probe.audio_seconds(str(c), demuxer="wav") or 0 for c in clips)
            print(f"{voice:16} {language:4} " + " ".join(cells)
                  + f"   {seconds:.1f}s (bench {time.perf_counter() - started:.0f}s)", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
