"""The tests' own "recording": what an author brings to be dubbed or cut into a chapter. A screen-like
picture (a window with a title bar and the sentence being said as its text, one screen per sentence, so
the picture changes where the speech does) with the bundled English neural voice (hibari) reading
tutorial sentences, a pause between them; H.264 + AAC in MP4, as a screen recorder writes it.

`make_recording()` returns where each sentence is spoken (`spans`, seconds, exact: the speech is placed
by sample), so tests can check recognised segments, dubbed segments and cuts against it. It reads the voice catalogue
(uploaded voices are in the database): call it in a test with database access, or in a module-scoped
fixture within `django_db_blocker.unblock()`."""

from __future__ import annotations

import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from tests.previews.speech import TUTORIAL_SENTENCES

RATE = 22050
LEAD_IN = 0.5  # seconds of room tone before the first sentence


@dataclass(frozen=True)
class Recording:
    path: Path
    spans: list[tuple[float, float, str]]  # (start, end, sentence) of each sentence's speech
    duration: float
    wav: Path  # the sound alone (mono 16-bit), as mixed into the MP4


def _speech(sentence: str, out: Path) -> np.ndarray:
    from previews.tts import catalogue, normalize

    voice = catalogue.default_voice("en")  # read as narration is: numbers, units and shortcuts in words
    catalogue.engines()[voice.engine].synthesize(voice, normalize(sentence, "en"), 1.0, out)
    with wave.open(str(out)) as wav:
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16).astype(np.float32)
        rate = wav.getframerate()
    if rate != RATE:  # resample linearly: the voice's own rate is 22050 Hz today
        positions = np.arange(0, len(samples), rate / RATE)
        samples = np.interp(positions, np.arange(len(samples)), samples)
    # trim the voice's own leading and trailing silence, so spans are where the words are
    loud = np.flatnonzero(np.abs(samples) > 300)
    return samples[loud[0]:loud[-1] + 1] if len(loud) else samples


def _screen(sentence: str, index: int, size: tuple[int, int], out: Path) -> None:
    width, height = size
    image = Image.new("RGB", size, (236, 239, 244))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, width, height // 12], fill=(40, 44, 52))  # title bar
    for i, colour in enumerate([(255, 95, 86), (255, 189, 46), (39, 201, 63)]):
        r = height // 48
        draw.ellipse([r + i * 3 * r, r, 3 * r + i * 3 * r, 3 * r], fill=colour)
    accent = [(52, 120, 246), (230, 126, 34), (46, 160, 67), (155, 89, 182), (192, 57, 43)][index % 5]
    draw.rectangle([0, height // 12, width // 5, height], fill=accent)  # a sidebar that changes per screen
    words, line, y = sentence.split(), "", height // 6
    for word in words:
        if len(line) + len(word) > 40:
            draw.text((width // 4, y), line, fill=(20, 20, 20))
            line, y = "", y + height // 14
        line = f"{line} {word}".strip()
    draw.text((width // 4, y), line, fill=(20, 20, 20))
    image.save(out)


def make_recording(directory: Path, sentences: list[str] | None = None, *, pause: float = 0.8,
                   height: int = 360, noise: float = 0.002) -> Recording:
    """An MP4 of `sentences` (default: the first five tutorial sentences) said with `pause` seconds between
    them over a faint room tone (`noise`, a fraction of full scale), one screen per sentence."""
    from contentizer.media import ffmpeg

    directory.mkdir(parents=True, exist_ok=True)
    sentences = sentences or TUTORIAL_SENTENCES[:5]
    rng = np.random.default_rng(7)
    pieces, spans, t = [np.zeros(round(LEAD_IN * RATE))], [], LEAD_IN
    for i, sentence in enumerate(sentences):
        speech = _speech(sentence, directory / f"sentence-{i}.wav")
        spans.append((round(t, 3), round(t + len(speech) / RATE, 3), sentence))
        t += len(speech) / RATE
        pieces += [speech, np.zeros(round(pause * RATE))]
        t += round(pause * RATE) / RATE
    audio = np.concatenate(pieces)
    audio = np.clip(audio + rng.normal(0, noise * 32767, len(audio)), -32768, 32767).astype("<i2")
    wav_path = directory / "recording.wav"
    with wave.open(str(wav_path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(audio.tobytes())
    duration = len(audio) / RATE
    size = (height * 16 // 9 // 2 * 2, height)
    inputs, filters = [], []
    bounds = [0.0] + [spans[i + 1][0] - pause / 2 for i in range(len(spans) - 1)] + [duration]
    for i, sentence in enumerate(sentences):
        png = directory / f"screen-{i}.png"
        _screen(sentence, i, size, png)
        inputs += ["-loop", "1", "-framerate", "30", "-t", f"{bounds[i + 1] - bounds[i]:.4f}", "-i", str(png)]
        filters.append(f"[{i}:v]format=yuv420p,setsar=1[v{i}]")
    joined = "".join(f"[v{i}]" for i in range(len(sentences)))
    graph = ";".join(filters) + f";{joined}concat=n={len(sentences)}:v=1:a=0[v]"
    out = directory / "recording.mp4"
    subprocess.run([ffmpeg.binary(), "-hide_banner", "-loglevel", "error", "-y", *inputs, "-i", str(wav_path),
                    "-filter_complex", graph, "-map", "[v]", "-map", f"{len(sentences)}:a",
                    "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-r", "30",
                    "-c:a", "aac", "-b:a", "128k", "-ar", "44100", "-t", f"{duration:.4f}",
                    "-movflags", "+faststart", str(out)], check=True)
    return Recording(path=out, spans=spans, duration=round(duration, 3), wav=wav_path)
