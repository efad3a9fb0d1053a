"""The media of a dub: where each translated clip is heard (`fit`), the recording's own picture and
sound (`render_original`), each dubbed language's picture and mix (`render_dubbed`), and the files a
Video serves (`package`).

- `fit` is the one timing rule: a clip starts where its source segment starts (moved later only by the
  holds before it); a clip longer than its slot (up to the next segment's start) is sped up, at most
  MAX_SPEED, and what still does not fit holds the picture's frame at the slot's end, so no speech ever
  runs into the next segment. It is pure: the renders and the subtitles follow what it says.
- The renders read the recording with its demuxer named (never probed) through the one FFmpeg module,
  with the product's H.264 stream parameters (`compose.video_codec`, keyframes every HLS segment) and
  AAC. A dubbed picture and its mix are made in one FFmpeg run; a second, light one (the picture copied)
  brings the mix to the loudness narrated videos have, measured by that first run.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from contentizer.languages import iso639_2
from contentizer.media import compose, ffmpeg, probe
from contentizer.media.compose import Media
from contentizer.storage import publish_files
from previews import speech
from previews import subtitles as subtitle_files
from previews.models import Video
from previews.render import encoder, verify
from previews.videos.packaging import HLS_SEGMENT_SECONDS

logger = logging.getLogger(__name__)

MAX_SPEED = 1.25
"""How much faster than the voice's own pace a dubbed clip may be played before the picture holds
instead (atempo: the pitch is kept). Chosen by listening with the recogniser (bench/dub_speed.py): the ten
tutorial sentences of tests/previews/speech.py (and the same in Portuguese and German) said by the
product's voices, sped up by this module's own filter (`atempo`), each transcribed by `previews.asr`
(the bundled Whisper base model, the language given). Word error rate, the ten sentences as one corpus /
the mean of each sentence's WER capped at 100 %:

    voice          lang   x1.00     x1.15     x1.25     x1.40     x1.60
    hibari:heart   en     0%/0%     0%/0%     0%/0%     0%/0%     0%/0%
    espeak:pt      pt    69%/68%   81%/78%  125%/79%  251%/90%  257%/92%
    espeak:de      de   102%/51%   57%/57%   51%/52%  120%/69%  297%/88%

The neural English voice loses nothing at any of these speeds; the limit is the formant voices'. The
corpus figures are swayed by single sentences where Whisper loops on eSpeak's voice (German at its own
pace: 102 %), so the capped mean decides: up to x1.25 it stays within 11 points of each voice's own pace
(pt +11, de +1), at x1.4 it climbs 18 to 22 points and at x1.6 most words are lost. Beyond x1.25 a hold
(a still picture for a moment) costs the viewer less than a sentence they cannot follow.
"""

MAX_STREAMS = 64  # a recording with more streams than this is not one a person made
BACKGROUND = "0x202124"  # the plain picture of a recording without one (the studio's dark grey)
# The original voice under the dubbed one: the recording is pressed down while the dubbed speech (the key)
# sounds (21 to 37 dB on the test recording), and comes back within a third of a second after it, so the
# room, the clicks and the music stay audible in the pauses and the original voice does not fight the
# translation.
DUCK = "sidechaincompress=threshold=0.01:ratio=20:attack=10:release=300:makeup=1"
TOLERANCE = 1e-6  # seconds: float noise, never a hold
LOUDNESS_TOLERANCE = 0.3  # LU off the target that a dubbed track may be before its gain is corrected once


@dataclass(frozen=True)
class Placed:
    """One clip on the output timeline: where it starts, how much faster it plays, how long it lasts then."""

    index: int  # of its segment (and clip) in the lists `fit` was given
    start: float
    speed: float  # >= 1.0
    duration: float  # after the speed-up


@dataclass(frozen=True)
class Fit:
    placed: tuple[Placed, ...]  # in order of start
    holds: tuple[tuple[float, float], ...]  # (source time, seconds the picture holds there), in order
    sped_up: int
    grown: float  # seconds the output is longer than the recording: the holds
    duration: float  # of the output

    def at(self, source_time: float) -> float:
        """Where a moment of the recording is on the output timeline: later by every hold at or before it
        (a hold at a segment's start comes before that segment)."""
        return source_time + sum(seconds for point, seconds in self.holds if point <= source_time + TOLERANCE)

    def to_json(self) -> dict:
        return {"placed": [[p.index, p.start, p.speed, p.duration] for p in self.placed],
                "holds": [list(hold) for hold in self.holds], "spedUp": self.sped_up, "grown": self.grown,
                "duration": self.duration}

    @classmethod
    def from_json(cls, data: dict) -> Fit:
        return cls(placed=tuple(Placed(int(i), float(s), float(v), float(d)) for i, s, v, d in data["placed"]),
                   holds=tuple((float(p), float(s)) for p, s in data["holds"]), sped_up=int(data["spedUp"]),
                   grown=float(data["grown"]), duration=float(data["duration"]))


def fit(slots: list[tuple[float, float]], clip_durations: list[float], *, end: float,
        max_speed: float = MAX_SPEED, fps: int | None = None) -> Fit:
    """Place each clip at its slot's start (slots: the source segments' (start, end); a slot lasts until
    the next segment's start, the last one until `end`). A longer clip is sped up to at most `max_speed`;
    the rest holds the picture at the slot's end for whole frames of `fps` (the product's frame rate), so
    the renders hold exactly what the timing says. Segments start at distinct times (a recogniser's do):
    a slot of no length would hold at its own start."""
    if len(slots) != len(clip_durations):
        raise ValueError("one clip duration per slot")
    if max_speed < 1.0:
        raise ValueError("max_speed is at least 1")
    frame = 1 / (fps or settings.PREVIEW_FPS)
    order = sorted(range(len(slots)), key=lambda i: slots[i][0])
    starts = [slots[i][0] for i in order]
    limits = [*starts[1:], max(end, starts[-1])] if starts else []
    placed, holds, shift = [], [], 0.0
    for k, i in enumerate(order):
        room, length = max(0.0, limits[k] - starts[k]), max(0.0, clip_durations[i])
        speed = 1.0 if length <= room + TOLERANCE else min(max_speed, length / room) if room > 0 else max_speed
        said = length / speed
        placed.append(Placed(index=i, start=starts[k] + shift, speed=speed, duration=said))
        if said > room + TOLERANCE:
            hold = math.ceil((said - room) / frame - TOLERANCE) * frame
            holds.append((limits[k], hold))
            shift += hold
    return Fit(placed=tuple(placed), holds=tuple(holds), sped_up=sum(1 for p in placed if p.speed > 1.0),
               grown=shift, duration=max(end, starts[-1] if starts else end) + shift)


def atempo(speed: float) -> str:
    """The speed-up every dubbed clip gets (and bench/dub_speed.py listens to): WSOLA, the pitch kept."""
    return f"atempo={speed:.6f}"


# --- the shape of the outputs -------------------------------------------------------------------------

@dataclass(frozen=True)
class _Shape:
    """What a render of `source` makes: the picture's size, frames and rate, the sound's rate and channels."""

    width: int
    height: int
    fps: int
    frames: int  # of the recording's picture, before any hold
    rate: int
    channels: int

    def picture(self) -> compose.Picture:
        # a keyframe at least every HLS segment: a recording has no scene cuts to start segments at
        return compose.Picture(width=self.width, height=self.height, fps=self.fps, scenes=(),
                               **{**encoder("final"), "gop": self.fps * HLS_SEGMENT_SECONDS})

    def samples(self, frames: int) -> int:
        """Audio samples as long as `frames` frames: the sound is cut where the picture is."""
        return round(frames * self.rate / self.fps)


def _shape(source: Media, *, has_video: bool, height: int) -> _Shape:
    info = probe.probe(str(source.path), demuxer=source.demuxer, max_streams=MAX_STREAMS)
    duration = source.duration or info.duration
    if not duration:
        raise probe.ProbeError("says nothing of how long it lasts")
    shown = info.first("video") if has_video else None
    across = shown.width / shown.height if shown and shown.width and shown.height else 16 / 9
    rate, channels = probe.audio_format(str(source.path), demuxer=source.demuxer)
    fps = settings.PREVIEW_FPS
    return _Shape(width=max(2, round(height * across / 2) * 2), height=height, fps=fps,
                  frames=max(1, round(duration * fps)), rate=compose.aac_rate(rate), channels=min(2, channels))


def _picture_chain(shape: _Shape, *, has_video: bool) -> str:
    """The recording's picture at the output size and rate, exactly `shape.frames` frames (a picture that
    stops early holds its last frame); a plain dark one for a recording without a picture."""
    pic, frames = shape.picture(), shape.frames
    if not has_video:
        return (f"color=c={BACKGROUND}:s={shape.width}x{shape.height}:r={shape.fps},{compose.fit_filter(pic)},"
                f"trim=end_frame={frames}")
    return (f"[0:v:0]fps={shape.fps},{compose.fit_filter(pic)},tpad=stop_mode=clone:stop_duration="
            f"{frames / shape.fps + 1:.3f},trim=end_frame={frames},setpts=N/{shape.fps}/TB")


def _layout(shape: _Shape) -> str:
    return f"aformat=sample_rates={shape.rate}:channel_layouts={'mono' if shape.channels == 1 else 'stereo'}"


def _aac(shape: _Shape, index: int, language: str) -> list[str]:
    tag = [f"-metadata:s:a:{index}", f"language={iso639_2(language)}"] if language else []
    return [f"-c:a:{index}", *compose.AAC, f"-b:a:{index}", compose.AAC_BITRATE[shape.channels],
            f"-ar:a:{index}", str(shape.rate), f"-ac:a:{index}", str(shape.channels), *tag,
            f"-disposition:a:{index}", "default" if index == 0 else "0"]


def _run(args: list[str], *, work_dir: Path, timeout: float, seconds: float | None,
         should_cancel: Callable[[], bool] | None, log: str = "ffmpeg.log") -> str:
    """Run FFmpeg with its stderr in a log of its own; returns that log's text."""
    path = work_dir / log
    path.unlink(missing_ok=True)
    ffmpeg.run(args, timeout=timeout, total_seconds=seconds, should_cancel=should_cancel, log_path=str(path))
    return path.read_text(encoding="utf-8", errors="replace")


def _published(partial: Path, out: Path, *, frames: int, fps: int, audio: int) -> float:
    """The finished file checked (its frames, its tracks, its length), then given its name."""
    try:
        seconds = verify(partial, frames=frames, fps=fps, audio=audio, subtitles=0)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(out)
    return seconds


# --- the original -------------------------------------------------------------------------------------

def render_original(source: Media, *, has_video: bool, out: Path, height: int, work_dir: Path, timeout: float,
                    should_cancel: Callable[[], bool] | None = None, language: str = "") -> float:
    """The recording's picture at `height` (its aspect kept) with its own sound unchanged (its length and
    loudness: no normalisation), tagged `language`. Returns the output's duration."""
    shape = _shape(source, has_video=has_video, height=height)
    partial = out.with_name(f"partial-{out.name}")
    graph = f"{_picture_chain(shape, has_video=has_video)}[v]"
    args = ["-f", source.demuxer, "-i", str(source.path), "-filter_complex", graph, "-map", "[v]",
            *compose.video_codec(shape.picture()), "-map", "0:a:0", *_aac(shape, 0, language),
            "-movflags", "+faststart", "-f", "mp4", str(partial)]
    try:
        _run(args, work_dir=work_dir, timeout=timeout, seconds=shape.frames / shape.fps, should_cancel=should_cancel)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return _published(partial, out, frames=shape.frames, fps=shape.fps, audio=1)


# --- a dub --------------------------------------------------------------------------------------------

def _cuts(fit_: Fit, shape: _Shape) -> list[tuple[int, int]]:
    """(frame, frames held) of each hold: the picture is cut before the frame at the hold's source time and
    its last frame repeated; holds that fall on the same frame are one."""
    cuts: dict[int, int] = {}
    for point, seconds in fit_.holds:
        frame = min(shape.frames, max(1, round(point * shape.fps)))
        cuts[frame] = cuts.get(frame, 0) + round(seconds * shape.fps)
    return sorted(cuts.items())


def _parts(source: str, cuts: list[tuple[int, int]], *, audio: bool, shape: _Shape, chains: list[str],
           name: str) -> str:
    """`source` cut at every hold, each cut followed by its hold (the last frame repeated; silence), joined."""
    edges = [0, *(frame for frame, _ in cuts)]
    held = [count for _, count in cuts]
    parts = []
    for n, first in enumerate(edges):
        last = edges[n + 1] if n + 1 < len(edges) else None
        if last is None and first >= shape.frames:
            continue  # a hold at the very end: nothing of the recording comes after it
        if audio:
            until = f":end_sample={shape.samples(last)}" if last is not None else ""
            pad = f",apad=pad_len={shape.samples(held[n])}" if n < len(held) else ""
            parts.append(f"atrim=start_sample={shape.samples(first)}{until},asetpts=PTS-STARTPTS{pad}")
        else:
            until = f":end_frame={last}" if last is not None else ""
            pad = f",tpad=stop={held[n]}:stop_mode=clone" if n < len(held) else ""
            parts.append(f"trim=start_frame={first}{until},setpts=PTS-STARTPTS{pad}")
    if len(parts) == 1:
        chains.append(f"[{source}]{parts[0]}[{name}]")
        return name
    labels = [f"{name}{n}" for n in range(len(parts))]
    chains.append(f"[{source}]{'asplit' if audio else 'split'}={len(parts)}{''.join(f'[{x}in]' for x in labels)}")
    chains += [f"[{label}in]{part}[{label}]" for label, part in zip(labels, parts, strict=True)]
    kinds = "v=0:a=1" if audio else "v=1:a=0"
    chains.append(f"{''.join(f'[{x}]' for x in labels)}concat=n={len(parts)}:{kinds}[{name}]")
    return name


def _speech(fit_: Fit, clips: Sequence[Path | None], shape: _Shape, total: int, chains: list[str],
            inputs: list[str]) -> str | None:
    """The dubbed clips, each at its place and speed, laid end to end with silence between: exactly
    `total` samples. None without any clip."""
    placed = [p for p in fit_.placed if clips[p.index] is not None and p.duration > 0]
    if not placed:
        return None
    starts = [min(total, round(p.start * shape.rate)) for p in placed]
    ends = [*starts[1:], total]
    labels = []
    for k, p in enumerate(placed):
        n = len(inputs) // 4 + 1  # input 0 is the recording
        inputs += ["-f", "wav", "-i", str(clips[p.index])]
        tempo = f",{atempo(p.speed)}" if p.speed > 1.0 else ""
        lead = f",adelay=delays={starts[0]}S:all=1" if k == 0 and starts[0] else ""
        slot = ends[k] - (0 if k == 0 else starts[k])
        labels.append(f"c{k}")
        chains.append(f"[{n}:a:0]{_layout(shape)}{tempo}{lead},apad=whole_len={slot},atrim=end_sample={slot}[c{k}]")
    if len(labels) == 1:
        return labels[0]
    chains.append(f"{''.join(f'[{x}]' for x in labels)}concat=n={len(labels)}:v=0:a=1[speech]")
    return "speech"


def dubbed_args(source: Media, *, has_video: bool, fit: Fit, clips: Sequence[Path | None], shape: _Shape,
                video: Path, mix: Path, original: Path | None) -> list[str]:
    """One FFmpeg run: the held picture (encoded), and the mix (the recording's sound with silence at the
    holds, ducked under the dubbed speech, plus that speech; measured by ebur128 on its way) as float
    WAV, to be brought to the target loudness; with `original`, the held recording's sound on its own."""
    cuts = _cuts(fit, shape)
    frames = shape.frames + sum(count for _, count in cuts)
    total = shape.samples(frames)
    chains = [f"{_picture_chain(shape, has_video=has_video)}[pic]", f"[0:a:0]{_layout(shape)}[sound]"]
    held = _parts("pic", cuts, audio=False, shape=shape, chains=chains, name="held")
    chains.append(f"[{held}]setpts=N/{shape.fps}/TB[v]")
    room = _parts("sound", cuts, audio=True, shape=shape, chains=chains, name="room")
    chains.append(f"[{room}]apad=whole_len={total},atrim=end_sample={total},asplit=2[bed][kept]")
    extra, inputs = [], []
    said = _speech(fit, clips, shape, total, chains, inputs)
    if said is None:
        chains.append("[bed]ebur128=peak=sample[mix]")
    else:
        chains += [f"[{said}]asplit=2[voice][key]", f"[bed][key]{DUCK}[ducked]",
                   "[voice][ducked]amix=inputs=2:duration=first:normalize=0,ebur128=peak=sample[mix]"]
    if original is not None:
        extra = ["-map", "[kept]", "-c:a", "pcm_f32le", "-f", "wav", str(original)]
    else:
        chains.append("[kept]anullsink")
    return ["-f", source.demuxer, "-i", str(source.path), *inputs, "-filter_complex", ";".join(chains),
            "-map", "[v]", *compose.video_codec(shape.picture()), "-an", "-f", "mp4", str(video),
            "-map", "[mix]", "-c:a", "pcm_f32le", "-f", "wav", str(mix), *extra]


def _normalised(clips: Sequence[Path | None], *, work_dir: Path, timeout: float,
                should_cancel: Callable[[], bool] | None) -> list[Path | None]:
    """Each clip at the narration's loudness, as the video pipeline makes it (measured in one run, raised
    through a peak limiter in-process, so a peaky voice still reaches the target): the mix then needs
    only a small correction, which its limiter does not eat. A clip already there is copied unchanged."""
    pairs = [(clip, work_dir / f"dub-clip-{i}.wav") for i, clip in enumerate(clips) if clip is not None]
    speech.normalize(pairs, work_dir=work_dir, timeout=timeout, should_cancel=should_cancel)
    made = iter(out for _, out in pairs)
    return [None if clip is None else next(made) for clip in clips]


def _encode(*, video: Path, mix: Path, original: Path | None, gain: float, shape: _Shape, out: Path, language: str,
            original_language: str, work_dir: Path, timeout: float, should_cancel: Callable[[], bool] | None) -> None:
    """The held picture copied, the mix raised by `gain` through the peak limiter narration goes through,
    and the recording's own held sound as it is, into one MP4."""
    inputs = ["-f", "mp4", "-i", str(video), "-f", "wav", "-i", str(mix)]
    maps = ["-map", "0:v:0", "-c:v", "copy", "-map", "[a]", *_aac(shape, 0, language)]
    if original is not None:
        inputs += ["-f", "wav", "-i", str(original)]
        maps += ["-map", "2:a:0", *_aac(shape, 1, original_language)]
    _run([*inputs, "-filter_complex", f"[1:a:0]volume={gain:.2f}dB,{compose.LIMITER}[a]", *maps,
          "-movflags", "+faststart", "-f", "mp4", str(out)],
         work_dir=work_dir, timeout=timeout, seconds=None, should_cancel=should_cancel)


def render_dubbed(source: Media, *, has_video: bool, fit: Fit, clips: list[Path | None], out: Path, height: int,
                  work_dir: Path, timeout: float, should_cancel: Callable[[], bool] | None = None,
                  language: str = "", original_language: str = "") -> float:
    """The recording's picture held at the fit's holds, with one track (tagged `language`): the
    recording's sound ducked under the dubbed clips (16-bit PCM WAV files, as the voices write them;
    `clips[i]` for segment i, None for a segment with nothing to say) placed and sped up as `fit` says,
    at the loudness of narrated videos.
    With `original_language`, a second track: the recording's own sound in step with this picture
    (silence at the holds), unchanged in level. Returns the output's duration."""
    shape = _shape(source, has_video=has_video, height=height)
    frames = shape.frames + sum(count for _, count in _cuts(fit, shape))
    video, mix = work_dir / "dub-picture.mp4", work_dir / "dub-mix.wav"
    original = work_dir / "dub-original.wav" if original_language else None
    partial = out.with_name(f"partial-{out.name}")
    said = _normalised(clips, work_dir=work_dir, timeout=timeout, should_cancel=should_cancel)
    try:
        log = _run(dubbed_args(source, has_video=has_video, fit=fit, clips=said, shape=shape, video=video,
                               mix=mix, original=original),
                   work_dir=work_dir, timeout=timeout, seconds=frames / shape.fps, should_cancel=should_cancel,
                   log="dub-mix.log")
        gain = speech.parse_loudness(log, 1)[0].gain()
        for _ in range(2):  # the limiter takes a little off a peaky mix: measured, and given back once
            _encode(video=video, mix=mix, original=original, gain=gain, shape=shape, out=partial, language=language,
                    original_language=original_language, work_dir=work_dir, timeout=timeout,
                    should_cancel=should_cancel)
            heard = speech.measure([Media(partial, "mp4")], work_dir=work_dir, timeout=timeout,
                                   should_cancel=should_cancel)[0].lufs
            if abs(heard - speech.TARGET_LUFS) <= LOUDNESS_TOLERANCE or heard <= speech.SILENCE_LUFS:
                break
            gain = min(speech.MAX_GAIN_DB, gain + speech.TARGET_LUFS - heard)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        for path in (video, mix, original, *said):
            if path is not None:
                path.unlink(missing_ok=True)
    return _published(partial, out, frames=frames, fps=shape.fps, audio=2 if original is not None else 1)



# --- packaging ----------------------------------------------------------------------------------------

Cue = tuple[float, float, str]  # (start, end, text) on the recording's timeline


def retimed(cues: Sequence[Cue], fit_: Fit | None, *, own: bool) -> list[subtitle_files.Cue]:
    """Cues on a picture's timeline: later by the holds before them (none on the original's). On a dubbed
    picture its own language's cue that starts with a clip lasts at least as long as the clip is heard
    (into the hold that made room for it; never into the next clip)."""
    out = []
    for start, end, text in cues:
        begin, until = (start, end) if fit_ is None else (fit_.at(start), fit_.at(end))
        said = next((p for p in fit_.placed if abs(p.start - begin) < 1e-3), None) if fit_ and own else None
        if said is not None:
            until = max(until, said.start + said.duration)
        out += subtitle_files.cues_for(text, begin, max(begin, until))
    return out


def _mp4_args(video: Path, *, audio_languages: list[str], srts: list[tuple[Path, str]], out: Path) -> list[str]:
    """A rendered picture as it is downloaded: its streams copied, each audio track named for its language
    (the picture's own the default), every language's subtitles timed to it as mov_text, its own first."""
    inputs, maps, tags = ["-f", "mp4", "-i", str(video)], ["-map", "0:v:0", "-map", "0:a"], []
    for n, (path, lang) in enumerate(srts):
        inputs += ["-f", "srt", "-i", str(path)]
        maps += ["-map", f"{n + 1}:s:0"]
        tags += [f"-metadata:s:s:{n}", f"language={iso639_2(lang)}"]
    for i, lang in enumerate(audio_languages):
        tags += [f"-metadata:s:a:{i}", f"language={iso639_2(lang)}",
                 f"-disposition:a:{i}", "default" if i == 0 else "0"]
    return [*inputs, *maps, "-c:v", "copy", "-c:a", "copy", "-c:s", "mov_text", *tags, "-movflags", "+faststart",
            "-f", "mp4", str(out)]


@dataclass(frozen=True)
class _Picture:
    """One language's rendered MP4 as packaging reads it."""

    language: str
    path: Path
    audio: list[str]  # the language of each audio track, in stream order
    width: int
    height: int
    frames: int
    fps: int

    @property
    def duration(self) -> float:
        return self.frames / self.fps


def _picture(language: str, path: Path, *, source: str) -> _Picture:
    info = probe.probe(str(path), demuxer="mp4", max_streams=MAX_STREAMS, count_frames=True)
    shown, tracks = info.first("video"), sum(1 for s in info.streams if s.type == "audio")
    # a dub's second track is the recording's own sound, held in step with it (render_dubbed)
    audio = [language] if tracks == 1 or language == source else [language, source]
    return _Picture(language=language, path=path, audio=audio, width=shown.width, height=shown.height,
                    frames=info.video_frames or 0, fps=settings.PREVIEW_FPS)


def _write_subtitles(cues: list[subtitle_files.Cue], directory: Path, name: str) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    vtt, srt = directory / f"{name}.vtt", directory / f"{name}.srt"
    subtitle_files.write(cues, vtt_path=vtt, srt_path=srt)
    return vtt, srt


def _steps(cues: dict[str, list[Cue]], languages: list[str], fits: dict[str, Fit]) -> list[dict]:
    """The watch page's step list: one step a segment of the recording (its own language's cues), where it
    starts in each language's picture, and what each language says there."""
    source = languages[0]
    said = {lang: {round(start, 3): text for start, _, text in cues.get(lang, [])} for lang in languages}
    return [{"start": start, "caption": "", "captions": {},
             "narration": {lang: said[lang].get(round(start, 3), "") for lang in languages},
             "starts": {lang: fits[lang].at(start) if lang in fits else start for lang in languages}}
            for start, _, _ in sorted(cues.get(source, []))]


def package(video: Video, *, pictures: dict[str, Path], subtitles: dict[str, list[Cue]],
            fits: dict[str, Fit], work_dir: Path, should_cancel: Callable[[], bool] | None = None,
            progress: Callable[[float], None] | None = None) -> dict:
    """What a Video needs so its pages, player, shares and downloads work as for any video, published:
    `pictures` holds each language's MP4 (the recording's own language first: render_original's; then
    each dub's, render_dubbed's, whose holds `fits` gives), `subtitles` each language's cues on the
    recording's timeline. Each language gets its MP4 (every language's subtitles timed to it, its tracks
    named), its HLS tree as a chapter video's (previews.videos.packaging: a master per picture, its audio
    renditions — a dub's and, when rendered with it, the recording's own — and every language's WebVTT)
    and its own subtitle files; the first picture gives the poster. Returns the Video's fields to set."""
    from previews.videos import packaging

    languages = list(pictures)
    source, prefix, root = languages[0], f"videos/{video.id}", work_dir / "hls"
    files, fields = [], {}
    for n, lang in enumerate(languages):
        shown = _picture(lang, pictures[lang], source=source)
        timed = {other: _write_subtitles(retimed(subtitles.get(other, []), fits.get(lang), own=other == lang),
                                         work_dir / "subtitles" / lang, other) for other in languages}
        mp4 = work_dir / f"packaged-{lang}.mp4"
        ffmpeg.run(_mp4_args(shown.path, audio_languages=shown.audio, out=mp4,
                             srts=[(timed[other][1], other) for other in [lang, *(o for o in languages if o != lang)]]),
                   timeout=settings.VIDEO_TIMEOUT_SECONDS, should_cancel=should_cancel,
                   log_path=str(work_dir / "package.log"))
        tree = packaging.tree(lang, languages)
        declared = packaging.cut_tree(root / tree, video=mp4, audio_languages=shown.audio,
                                      vtts={other: vtt for other, (vtt, _) in timed.items()}, width=shown.width,
                                      height=shown.height, fps=shown.fps, duration=shown.duration,
                                      timeout=settings.VIDEO_TIMEOUT_SECONDS, log_path=str(work_dir / "package.log"),
                                      should_cancel=should_cancel)
        key = f"{prefix}/video.mp4" if n == 0 else f"{prefix}/video.{lang}.mp4"
        fields[lang] = {"mp4Key": key, "size": mp4.stat().st_size, "duration": shown.duration, "tree": tree,
                        "starts": [], "subtitles": languages, "audio": shown.audio, "width": shown.width,
                        "height": shown.height, **declared}
        files += [(key, mp4), *((f"{prefix}/subtitles/{lang}.{fmt}", path)
                                for fmt, path in zip(("vtt", "srt"), timed[lang], strict=True))]
        if progress:
            progress(0.9 * (n + 1) / len(languages))
    first = fields[source]
    poster = packaging.poster(files[0][1], duration=first["duration"], out=work_dir / "poster.jpg")
    files += [(f"{prefix}/hls/{path.relative_to(root).as_posix()}", path)
              for path in sorted(p for p in root.rglob("*") if p.is_file())]
    steps = _steps(subtitles, languages, fits)
    for lang, picture in fields.items():
        picture["starts"] = [step["starts"][lang] for step in steps]
    publish_files([*files, (f"{prefix}/poster.jpg", poster)])
    if progress:
        progress(1.0)
    return {"pictures": fields, "mp4_key": first["mp4Key"], "hls_prefix": f"{prefix}/hls",
            "poster_key": f"{prefix}/poster.jpg", "duration": first["duration"], "size": first["size"],
            "renditions": {"video": [{"width": first["width"], "height": first["height"]}], "audio": languages,
                           "subtitles": languages},
            "steps": steps}
