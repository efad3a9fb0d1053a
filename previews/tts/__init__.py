"""Text to speech: engines, the voice registry, the text normaliser, the project lexicon and the
cached synthesis of narration clips. The rest of the product uses only the names below."""

from previews.tts.catalogue import ENGINE_LABELS, default_voice, language_supported, problems, voice_get, voices
from previews.tts.catalogue import candidates as voice_candidates
from previews.tts.catalogue import matches as voice_matches
from previews.tts.engines import UnsupportedLanguage, Voice, write_wav
from previews.tts.normalizer import normalize
from previews.tts.synthesis import narration_state, narrator_for, speech_clip, spoken_text, voice_sample

__all__ = [
    "ENGINE_LABELS", "UnsupportedLanguage", "Voice", "default_voice", "language_supported", "narration_state",
    "narrator_for", "normalize", "problems", "speech_clip", "spoken_text", "voice_candidates", "voice_get",
    "voice_matches", "voice_sample", "voices", "write_silence", "write_wav",
]


def write_silence(seconds: float, out_path, *, rate: int = 22050) -> float:
    import numpy as np

    return write_wav(np.zeros(round(seconds * rate), dtype="<i2"), rate, out_path)
