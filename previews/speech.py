"""Spoken clips and their loudness, cached by content in storage.

previews.tts makes and caches each clip as the voice says it (`videos/cache/tts/<id>.wav`, its id
a hash of everything that shapes the sound); here each new clip is normalised to the target
loudness once, the first time a video uses it (every new clip of a stage measured in one FFmpeg
run, then a fixed gain through a peak limiter applied in-process), and stored with a small JSON
beside it (its length); no render ever runs a loudness filter on speech again.
Narration assets (uploaded audio) are measured once instead, cached by their blob's hash, and
played with that fixed gain through a peak limiter. The JSON is written after the clip, and a
clip counts as cached only once its JSON exists.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.files.storage import default_storage

from contentizer.jobs.errors import PermanentJobError
from contentizer.media import compose, ffmpeg, pcm
from contentizer.models import Project
from contentizer.storage import fetch, publish_file, trusted

logger = logging.getLogger(__name__)

SPEECH_PREFIX = "videos/cache/speech"  # normalised copies, named by the spoken clip's id
LOUDNESS_PREFIX = "videos/cache/loudness"
TARGET_LUFS = -16.0
MAX_GAIN_DB = 30.0
PEAK_CEILING = 10 ** (-1.5 / 20)  # -1.5 dBFS
LIMITER_MS = 5
SILENCE_LUFS = -69.0


@dataclass(frozen=True)
class Loudness:
    lufs: float  # integrated loudness; -70 or less for silence
    peak: float  # sample peak, dBFS

    def gain(self) -> float:
        """dB that bring the clip to TARGET_LUFS (a raised clip goes through a peak limiter in
        the render graph, so speech with sharp peaks still reaches the target)."""
        if self.lufs <= SILENCE_LUFS or not math.isfinite(self.lufs):
            return 0.0
        return round(min(TARGET_LUFS - self.lufs, MAX_GAIN_DB), 2)


def clip_key(clip: str) -> str:
    return f"{SPEECH_PREFIX}/{clip}.wav"


def _meta_key(prefix: str, name: str) -> str:
    return f"{prefix}/{name}.json"


def _read_json(key: str) -> dict | None:
    if not trusted(key):
        return None
    with default_storage.open(key, "rb") as fh:
        return json.loads(fh.read())


def _write_json(key: str, data: dict) -> None:
    handle, name = tempfile.mkstemp(suffix=".json", dir=settings.JOB_WORK_DIR)
    with os.fdopen(handle, "w", encoding="utf-8") as fh:
        json.dump(data, fh)
    try:
        publish_file(key=key, path=Path(name))
    finally:
        Path(name).unlink(missing_ok=True)


def cached_speech(clip: str) -> dict | None:
    """{"seconds", "gain", ...} of a finished clip, or None when it must be made."""
    meta = _read_json(_meta_key(SPEECH_PREFIX, clip))
    return meta if meta is not None and trusted(clip_key(clip)) else None


def store_speech(clip: str, wav: Path, *, seconds: float) -> dict:
    """Publish a normalised clip: its gain is in its samples, so it plays at 0 dB."""
    meta = {"seconds": round(seconds, 3), "gain": 0.0}
    publish_file(key=clip_key(clip), path=wav)
    _write_json(_meta_key(SPEECH_PREFIX, clip), meta)
    return meta


def speak(*, project: Project, language: str, text: str, label: str, work_dir: Path) -> dict:
    """The clip as the project's voice for `language` says it (previews.tts caches it by everything
    that shapes the sound), with what its cache key was made of; a language no voice says fails the
    job, naming the step."""
    from previews import tts

    try:
        return tts.speech_clip(project=project, language=language, text=text, work_dir=work_dir)
    except tts.UnsupportedLanguage as exc:
        raise PermanentJobError(f"{label}: {exc}") from exc


def clip_id(said: dict) -> str:
    """The id of a spoken clip (its cache key's name), which names its normalised copy too."""
    return Path(said["key"]).stem


@dataclass(frozen=True)
class Normalised:
    gains: dict[str, float]  # by clip id: the gain each clip plays at from the speech cache
    made: int  # how many were normalised now (the others were cached)


def normalised(said: list[dict], *, work_dir: Path, timeout: float, should_cancel=None) -> Normalised:
    """Every spoken clip (`{"key", "seconds"}`, as `speak` or a recording gives it) in the shared speech
    cache: the ones not there yet normalised together (one FFmpeg run) and stored. Videos and previews
    both come here, so a clip either of them said is never normalised again."""
    gains, new = {}, {}
    for clip in said:
        name = clip_id(clip)
        if name in gains or name in new:
            continue
        if (meta := cached_speech(name)) is not None:
            gains[name] = meta["gain"]
            continue
        # publishing may have moved the synthesised file into storage: read it back from there
        local = work_dir / f"speech-{name}.wav"
        new[name] = local if local.exists() else fetch(clip["key"], local)
    pairs = [(wav, wav.with_name(f"normalised-{wav.name}")) for wav in new.values()]
    lengths = normalize(pairs, work_dir=work_dir, timeout=timeout, should_cancel=should_cancel)
    for name, (_, out), seconds in zip(new, pairs, lengths, strict=True):
        gains[name] = store_speech(name, out, seconds=seconds)["gain"]
    return Normalised(gains=gains, made=len(new))


def cached_gain(sha256: str) -> float | None:
    meta = _read_json(_meta_key(LOUDNESS_PREFIX, sha256))
    return None if meta is None else meta["gain"]


def store_gain(sha256: str, loudness: Loudness) -> float:
    _write_json(_meta_key(LOUDNESS_PREFIX, sha256), {"gain": loudness.gain(), "lufs": loudness.lufs,
                                                     "peak": loudness.peak})
    return loudness.gain()


_SUMMARY = re.compile(r"Parsed_ebur128_(\d+) @ \S+\] Summary:")
_VALUE = re.compile(r"^\s*(I|Peak):\s+(-?(?:[\d.]+|inf))\s+(LUFS|dBFS)")


def parse_loudness(log: str, count: int) -> list[Loudness]:
    """The ebur128 summaries of `count` filter instances, in the order they appear in the graph."""
    found: dict[int, dict[str, float]] = {}
    current = None
    for line in log.splitlines():
        if match := _SUMMARY.search(line):
            current = found.setdefault(int(match.group(1)), {})
        elif current is not None and (match := _VALUE.match(line)):
            current[match.group(1)] = float(match.group(2))
    if len(found) != count or any({"I", "Peak"} - set(v) for v in found.values()):
        raise ffmpeg.FFmpegError(f"the loudness of {count} clips could not be read from FFmpeg's summary")
    return [Loudness(lufs=found[i]["I"], peak=found[i]["Peak"]) for i in sorted(found)]


def normalize(clips: list[tuple[Path, Path]], *, work_dir: Path, timeout: float, should_cancel=None) -> list[float]:
    """Write each (raw, normalised) pair's normalised clip: every raw clip measured in one FFmpeg
    run, then raised or lowered in-process by the fixed gain that reaches TARGET_LUFS through a
    peak limiter (speech is peaky: eSpeak's peaks sit ~19 dB over its loudness, so a plain gain
    to -16 LUFS would clip). Returns the clips' lengths in seconds."""
    if not clips:
        return []
    measured = measure([compose.Media(path, "wav") for path, _ in clips], work_dir=work_dir, timeout=timeout,
                       should_cancel=should_cancel)
    return [_apply(raw, out, loudness) for (raw, out), loudness in zip(clips, measured, strict=True)]


def _apply(raw: Path, out: Path, loudness: Loudness) -> float:
    with wave.open(str(raw), "rb") as src:
        rate, channels = src.getframerate(), src.getnchannels()
        samples = np.frombuffer(src.readframes(src.getnframes()), dtype="<i2").astype(np.float64) / 32768
    gain, limited = loudness.gain(), samples
    for _ in range(3):  # the limiter takes some energy off the peaks: give it back, twice over
        raised = samples * 10 ** (gain / 20)
        limited = pcm.limit(raised, ceiling=PEAK_CEILING, window=max(1, rate * LIMITER_MS // 1000))
        kept = float(np.sum(limited ** 2)) / max(float(np.sum(raised ** 2)), 1e-12)
        gain = min(MAX_GAIN_DB, loudness.gain() - 10 * math.log10(max(kept, 1e-6)))
    with wave.open(str(out), "wb") as dst:
        dst.setnchannels(channels)
        dst.setsampwidth(2)
        dst.setframerate(rate)
        dst.writeframes((np.clip(limited, -1, 32767 / 32768) * 32768).astype("<i2").tobytes())
    return len(samples) / channels / rate


def measure(media: list[compose.Media], *, work_dir: Path, timeout: float, should_cancel=None) -> list[Loudness]:
    """Loudness of every file, in one FFmpeg run."""
    if not media:
        return []
    log = work_dir / "loudness.log"
    log.unlink(missing_ok=True)
    ffmpeg.run(compose.loudness_args(media), timeout=timeout, log_path=str(log), should_cancel=should_cancel)
    return parse_loudness(log.read_text(encoding="utf-8", errors="replace"), len(media))
