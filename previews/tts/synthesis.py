"""Speech clips for narration, cached by content: the cache key is made of everything that shapes
the sound (engine and its version, voice, model file hash, rate, the lexicon entries used, the text
and the normaliser's version), so a change to any of them makes new audio and nothing else does."""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from contentizer.media import probe
from contentizer.models import Project
from contentizer.storage import fetch, publish_file, trusted
from previews.tts import catalogue, lexicon, normalizer, selectors, uploaded
from previews.tts.engines import UnsupportedLanguage, Voice, write_wav

logger = logging.getLogger(__name__)

CACHE_PREFIX = "videos/cache/tts"


@dataclass(frozen=True)
class Narrator:
    """Who says a language's narration in a project, and how fast."""

    voice: Voice
    rate: float
    chosen: str  # the project's choice ("" = the default); differs from voice.id after a fallback
    fallback: str  # why the chosen voice is not the one speaking ("" when it is)


def narrator_for(*, project: Project, language: str, voice: str = "") -> Narrator:
    """`voice`: a voice id chosen for this one request (a dub's `voices`) instead of the project's."""
    choice = selectors.project_voice_get(project=project, language=language)
    rate, chosen = (choice.rate, choice.voice) if choice else (1.0, "")
    chosen = voice or chosen
    if chosen:
        voice = catalogue.voice_get(chosen)
        if voice is not None and voice.available and catalogue.matches(voice, language):
            return Narrator(voice=voice, rate=rate, chosen=chosen, fallback="")
        reason = voice.problem if voice is not None and not voice.available else "the voice is no longer installed"
        logger.warning("chosen voice unavailable, using the default", extra={
            "event": "tts.voice_fallback", "voice": chosen, "language": language, "projectId": project.pk})
        return Narrator(voice=catalogue.default_voice(language), rate=rate, chosen=chosen, fallback=reason)
    return Narrator(voice=catalogue.default_voice(language), rate=rate, chosen="", fallback="")


def narration_state(*, project: Project, languages: list[str]) -> dict[str, dict]:
    """Per language, what the narration depends on beyond its text: part of the narrate stage's
    input, so a retry after a voice, rate or lexicon change does not reuse the old narration."""
    state = {}
    for language in languages:
        try:
            narrator = narrator_for(project=project, language=language)
        except UnsupportedLanguage:
            state[language] = {"voice": None}
            continue
        state[language] = {"voice": narrator.voice.id, "modelSha256": narrator.voice.model_sha256,
                           "engine": _engine_version(narrator.voice), "rate": narrator.rate,
                           "lexicon": selectors.lexicon_for(project=project, language=language),
                           "normalizer": normalizer.VERSION}
    return state


def _engine_version(voice: Voice) -> str:
    return catalogue.engines()[voice.engine].version


def spoken_text(*, text: str, language: str, entries: list[tuple[str, str]]) -> tuple[str, list]:
    """The lexicon first (it may produce words the normaliser then reads), then the normaliser."""
    replaced, used = lexicon.apply(text, entries)
    return normalizer.normalize(replaced, language), used


def speech_clip(*, project: Project, language: str, text: str, work_dir: Path, voice_id: str = "") -> dict[str, Any]:
    """The stored WAV of `text` said in `language` the way the project wants it (or by `voice_id`),
    synthesised only when no identical clip is cached. Returns its storage key, its real duration and
    what the key was made of."""
    narrator = narrator_for(project=project, language=language, voice=voice_id)
    voice = narrator.voice
    spoken, used = spoken_text(text=text, language=language,
                               entries=selectors.lexicon_for(project=project, language=language))
    made_of = {"engine": voice.engine, "engineVersion": _engine_version(voice), "voice": voice.id,
               "modelSha256": voice.model_sha256, "rate": narrator.rate, "language": language, "text": text,
               "lexicon": [list(pair) for pair in used], "normalizer": normalizer.VERSION, "spoken": spoken}
    digest = hashlib.sha256(json.dumps(made_of, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    key = f"{CACHE_PREFIX}/{digest}.wav"
    local = work_dir / f"tts-{digest}.wav"
    if trusted(key):  # never a WAV a full disk cut short: the ledger knows its size
        seconds = probe.audio_seconds(str(fetch(key, local)), demuxer="wav")
        return {"key": key, "seconds": round(seconds, 3), "cached": True, "fallbackFrom": narrator.fallback and
                narrator.chosen or None, **made_of}
    seconds = _synthesize(voice, spoken, narrator.rate, local)
    if trusted(key):  # another worker made it meanwhile: Piper's audio varies, so keep one
        seconds = probe.audio_seconds(str(fetch(key, local)), demuxer="wav")
    else:
        publish_file(key=key, path=local)
    logger.info("speech synthesised", extra={"event": "tts.synthesised", "voice": voice.id, "language": language,
                                             "duration": round(seconds, 3)})
    return {"key": key, "seconds": round(seconds, 3), "cached": False,
            "fallbackFrom": narrator.fallback and narrator.chosen or None, **made_of}


SILENT_SECONDS = 0.25  # what a narration with nothing to say ("…", "—") becomes


def _synthesize(voice: Voice, spoken: str, rate: float, out: Path) -> float:
    uploaded.voice_files_local(voice)  # an uploaded voice: this machine's copy of its files, fetched once
    seconds = catalogue.engines()[voice.engine].synthesize(voice, spoken, rate, out)
    if seconds <= 0:  # only punctuation or symbols: a short silence rather than a failed video
        logger.warning("nothing to say", extra={"event": "tts.empty", "voice": voice.id})
        seconds = write_wav(np.zeros(round(SILENT_SECONDS * max(voice.sample_rate, 8000)), dtype="<i2"),
                            max(voice.sample_rate, 8000), out)
    return seconds


def voice_sample(*, voice: Voice, text: str, rate: float, language: str,
                 entries: list[tuple[str, str]]) -> bytes:
    """A short WAV of `text` in `voice`, read as narration would be (lexicon, normaliser), for an
    author to listen to before choosing. Short text only: the caller bounds it."""
    spoken, _ = spoken_text(text=text, language=language, entries=entries)
    with tempfile.TemporaryDirectory(prefix="voice-sample-") as directory:
        out = Path(directory) / "sample.wav"
        _synthesize(voice, spoken, rate, out)
        return out.read_bytes()
