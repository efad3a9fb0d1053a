"""FFmpeg argv for composing clips into one video: the filter graph, built with ffmpeg-python.

The graph is shaped for speed:
- a still is decoded, scaled, padded and captioned once, then its one frame is repeated
  (`loop`) instead of being decoded again for every output frame;
- `xfade` only sees the frames of each transition: every clip is cut into head (the frames
  of the incoming transition), body and tail (the outgoing transition), tails and heads are
  crossfaded pairwise, and everything is concatenated in order.
Audio: narration clips are delayed to their clip's start and mixed over a silent bed of the
exact length, with optional looped background music at a volume.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import ffmpeg as ffmpeg_python

XFADE = {"fade": "fadeblack", "dissolve": "dissolve", "wipeleft": "wipeleft", "wiperight": "wiperight",
         "slideleft": "slideleft", "slideright": "slideright"}
SAMPLE_RATE = 48000


@dataclass(frozen=True)
class Media:
    """An input file with the demuxer that must read it. Naming the demuxer matters: left to
    probe, FFmpeg may read a crafted upload as a concat script or playlist."""

    path: Path
    demuxer: str  # "image2" for stills; "mp4", "webm", "wav"... for audio and video
    duration: float | None = None  # seconds, when known (a looped track then loops a counted number of times)


@dataclass(frozen=True)
class Clip:
    source: Media
    duration: float
    still: bool  # True: one picture held for `duration`; False: a video trimmed or held to it
    caption: Path | None = None  # a transparent PNG overlay the size of the output
    transition: str = "cut"  # into the next clip
    transition_duration: float = 0.0
    narration: Media | None = None


@dataclass(frozen=True)
class Composition:
    width: int
    height: int
    fps: int
    clips: tuple[Clip, ...]
    music: Media | None = None
    music_volume: float = 0.3
    preset: str = "veryfast"
    crf: int = 28
    audio_bitrate: str = "128k"

    def starts(self) -> list[float]:
        starts, t = [], 0.0
        for clip in self.clips:
            starts.append(t)
            t += clip.duration - clip.transition_duration
        return starts

    @property
    def duration(self) -> float:
        return self.starts()[-1] + self.clips[-1].duration


class _Sources:
    """One FFmpeg input per distinct file, split when several clips use it.

    ffmpeg-python merges identical nodes, so a file used twice must be one input feeding a
    split; it is also cheaper (a still used twice is decoded once).
    """

    def __init__(self, keys: list[tuple]) -> None:
        self.uses = {key: keys.count(key) for key in keys}
        self.outputs: dict[tuple, list] = {}

    def take(self, key: tuple, make, split: str):
        if key not in self.outputs:
            stream, count = make(), self.uses[key]
            self.outputs[key] = [stream] if count == 1 else [
                stream.filter_multi_output(split, count)[i] for i in range(count)
            ]
        return self.outputs[key].pop(0)


def _video_key(clip: Clip) -> tuple:
    return ("video", str(clip.source.path), clip.still or round(clip.duration, 6))


def _picture(comp: Composition, clip: Clip, sources: _Sources):
    """The clip's video, at output size and rate, captioned, in yuv420p."""
    def make():
        source = clip.source
        if clip.still:
            # read at the output rate, so every segment has the same rate and timebase
            # (xfade and concat refuse to mix them)
            return ffmpeg_python.input(str(source.path), f=source.demuxer, framerate=comp.fps).video
        return ffmpeg_python.input(str(source.path), f=source.demuxer, t=f"{clip.duration:.6f}").video

    stream = sources.take(_video_key(clip), make, "split")
    stream = (
        stream.filter("scale", comp.width, comp.height, force_original_aspect_ratio="decrease")
        .filter("pad", comp.width, comp.height, "(ow-iw)/2", "(oh-ih)/2")
        .filter("setsar", 1)
    )
    if not clip.still:
        # hold the last frame if the video is shorter than its scene
        stream = stream.filter("fps", comp.fps).filter("tpad", stop_mode="clone", stop_duration=clip.duration)
    if clip.caption is not None:
        caption = ffmpeg_python.input(str(clip.caption), f="image2").video
        stream = ffmpeg_python.overlay(stream, caption, x=0, y=0)
    return stream.filter("format", "yuv420p")


def _segments(comp: Composition, clip: Clip, spans: list[tuple[str, int]], sources: _Sources):
    """(head, body, tail) streams of a clip, each `frames` long; None where a span is empty."""
    spans = [(name, frames) for name, frames in spans if frames > 0]
    source = _picture(comp, clip, sources)
    parts = source.filter_multi_output("split", len(spans)) if len(spans) > 1 else None
    out, first = {}, 0
    for index, (name, frames) in enumerate(spans):
        stream = parts[index] if parts is not None else source
        if clip.still:
            stream = stream.filter("loop", loop=frames - 1, size=1, start=0)
        else:
            stream = stream.filter("trim", start_frame=first, end_frame=first + frames)
        out[name] = stream.filter("setpts", f"N/{comp.fps}/TB")
        first += frames
    return out.get("head"), out.get("body"), out.get("tail")


def frame_spans(comp: Composition) -> list[tuple[int, int, int]]:
    """(head, body, tail) frame counts per clip, from rounded *cumulative* boundaries: rounding
    each segment on its own would drift by up to half a frame per segment, and the picture
    would fall behind narration placed at the exact start times."""
    fps, last = comp.fps, len(comp.clips) - 1
    bounds = [(round(start * fps), round((start + clip.duration) * fps))
              for start, clip in zip(comp.starts(), comp.clips, strict=True)]
    spans = []
    for i, (first, end) in enumerate(bounds):
        head = bounds[i - 1][1] - first if i else 0
        tail = end - bounds[i + 1][0] if i < last else 0
        spans.append((head, end - first - head - tail, tail))
    return spans


def _video(comp: Composition):
    sources = _Sources([_video_key(clip) for clip in comp.clips])
    pieces, pending_tail = [], None
    for i, (clip, (head, body, tail)) in enumerate(zip(comp.clips, frame_spans(comp), strict=True)):
        head_s, body_s, tail_s = _segments(comp, clip, [("head", head), ("body", body), ("tail", tail)], sources)
        if head_s is not None:
            pieces.append(ffmpeg_python.filter(
                [pending_tail, head_s], "xfade", transition=XFADE[comp.clips[i - 1].transition],
                duration=f"{head / comp.fps:.6f}", offset=0,
            ))
        if body_s is not None:
            pieces.append(body_s)
        pending_tail = tail_s
    if len(pieces) == 1:
        return pieces[0]
    return ffmpeg_python.concat(*pieces, v=1, a=0)


def _loops(duration: float, music: Media) -> int:
    """Repeats of the music needed to cover the video: an endless loop (-1) keeps FFmpeg
    decoding and resampling the track well past the end, which costs a third of a render."""
    return max(0, math.ceil(duration / music.duration) - 1) if music.duration else -1


def _stereo(stream):
    return stream.filter("aresample", SAMPLE_RATE).filter("aformat", channel_layouts="stereo")


def _bed(duration: float):
    return ffmpeg_python.input(f"anullsrc=r={SAMPLE_RATE}:cl=stereo", f="lavfi", t=f"{duration:.6f}").audio


def _voices(voices: list[tuple[Media, float]]) -> list:
    """Each voice delayed to its start; a file used twice is one input split in two."""
    sources = _Sources([("audio", str(media.path)) for media, _ in voices])
    placed = []
    for media, start in voices:
        def make(media=media):
            return _stereo(ffmpeg_python.input(str(media.path), f=media.demuxer).audio)

        voice = sources.take(("audio", str(media.path)), make, "asplit")
        placed.append(voice.filter("adelay", delays=round(start * 1000), all=1))
    return placed


def _music(music: Media, volume: float, duration: float):
    track = ffmpeg_python.input(str(music.path), f=music.demuxer, stream_loop=_loops(duration, music)).audio
    return _stereo(track).filter("volume", volume).filter("atrim", duration=f"{duration:.6f}")


def _amix(tracks: list):
    return ffmpeg_python.filter(tracks, "amix", inputs=len(tracks), duration="first", normalize=0)


def _audio(comp: Composition):
    narrated = [(clip.narration, start) for start, clip in zip(comp.starts(), comp.clips, strict=True)
                if clip.narration]
    tracks = [_bed(comp.duration), *_voices(narrated)]
    if comp.music is not None:
        tracks.append(_music(comp.music, comp.music_volume, comp.duration))
    return tracks[0] if len(tracks) == 1 else _amix(tracks)


def compose_args(comp: Composition, out_path: Path) -> list[str]:
    """Arguments for contentizer.media.ffmpeg.run (binary and input guards are added there)."""
    output = ffmpeg_python.output(
        _video(comp), _audio(comp), str(out_path),
        vcodec="libx264", preset=comp.preset, crf=comp.crf, pix_fmt="yuv420p", r=comp.fps,
        acodec="aac", audio_bitrate=comp.audio_bitrate, ar=SAMPLE_RATE, movflags="+faststart",
        t=f"{comp.duration:.6f}", f="mp4",
    )
    return output.compile(cmd="ffmpeg", overwrite_output=False)[1:]


# --- pieces for incremental rendering -------------------------------------------------------
# A full video is assembled from pieces cached by content: each clip's body, and each
# transition (the crossfade of one clip's tail with the next one's head). Editing one clip then
# re-encodes its body and the transitions touching it; everything else is reused.

VIDEO_ONLY = {"vcodec": "libx264", "pix_fmt": "yuv420p", "an": None, "f": "mp4"}


def _span(comp: Composition, clip: Clip, first: int, frames: int):
    """`frames` frames of a clip starting at its frame `first`, at the output's size and rate."""
    stream = _picture(comp, clip, _Sources([_video_key(clip)]))
    if clip.still:
        stream = stream.filter("loop", loop=frames - 1, size=1, start=0)
    else:
        stream = stream.filter("trim", start_frame=first, end_frame=first + frames)
    return stream.filter("setpts", f"N/{comp.fps}/TB")


def _encode_video(comp: Composition, stream, out_path: Path) -> list[str]:
    output = ffmpeg_python.output(stream, str(out_path), preset=comp.preset, crf=comp.crf, r=comp.fps, **VIDEO_ONLY)
    return output.compile(cmd="ffmpeg", overwrite_output=False)[1:]


def body_args(comp: Composition, index: int, out_path: Path) -> list[str]:
    head, body, _ = frame_spans(comp)[index]
    return _encode_video(comp, _span(comp, comp.clips[index], head, body), out_path)


def transition_args(comp: Composition, index: int, out_path: Path) -> list[str]:
    """The crossfade from clip `index` into the next one."""
    head, body, tail = frame_spans(comp)[index]
    outgoing = _span(comp, comp.clips[index], head + body, tail)
    incoming = _span(comp, comp.clips[index + 1], 0, tail)
    clip = comp.clips[index]
    crossfade = ffmpeg_python.filter([outgoing, incoming], "xfade", transition=XFADE[clip.transition],
                                     duration=f"{tail / comp.fps:.6f}", offset=0)
    return _encode_video(comp, crossfade, out_path)


def concat_args(list_path: Path, out_path: Path) -> list[str]:
    """Join pieces listed in our own concat script without re-encoding them."""
    return ["-f", "concat", "-safe", "0", "-i", str(list_path), "-c", "copy", "-movflags", "+faststart",
            "-f", "mp4", str(out_path)]


def mix_args(
    *, duration: float, voices: list[tuple[Media, float]], music: Media | None, music_volume: float,
    loudness: float, out_path: Path,
) -> list[str]:
    """Narration placed at its start times, music ducked under it, loudness normalised."""
    voice = _amix([_bed(duration), *_voices(voices)])
    if music is not None:
        split = voice.filter_multi_output("asplit", 2)
        voice, side = split[0], split[1]
        ducked = ffmpeg_python.filter([_music(music, music_volume, duration), side], "sidechaincompress",
                                      threshold=0.02, ratio=8, attack=20, release=400)
        voice = _amix([voice, ducked])
    # loudnorm turns pure silence into NaN, which the AAC encoder refuses: a silent track stays silent
    mixed = voice.filter("loudnorm", I=loudness, TP=-1.5, LRA=11) if voices or music is not None else voice
    mixed = mixed.filter("aresample", SAMPLE_RATE)
    output = ffmpeg_python.output(mixed, str(out_path), acodec="aac", audio_bitrate="128k", ar=SAMPLE_RATE,
                                  t=f"{duration:.6f}", f="mp4")
    return output.compile(cmd="ffmpeg", overwrite_output=False)[1:]


def mux_mp4_args(
    *, video: Path, audios: list[tuple[Path, str]], subtitles: list[tuple[Path, str]], out_path: Path,
) -> list[str]:
    """One MP4: the video, an audio track and a subtitle track per language, +faststart."""
    args: list[str] = ["-i", str(video)]
    for path, _ in audios:
        args += ["-f", "mp4", "-i", str(path)]
    for path, _ in subtitles:
        args += ["-f", "srt", "-i", str(path)]
    args += ["-map", "0:v:0"]
    args += [arg for i in range(len(audios)) for arg in ("-map", f"{i + 1}:a:0")]
    args += [arg for i in range(len(subtitles)) for arg in ("-map", f"{i + 1 + len(audios)}:s:0")]
    for i, (_, language) in enumerate(audios):
        args += [f"-metadata:s:a:{i}", f"language={language}", f"-disposition:a:{i}", "default" if i == 0 else "0"]
    for i, (_, language) in enumerate(subtitles):
        args += [f"-metadata:s:s:{i}", f"language={language}"]
    return [*args, "-c:v", "copy", "-c:a", "copy", "-c:s", "mov_text", "-movflags", "+faststart", "-f", "mp4",
            str(out_path)]


def hls_args(*, source: Path, stream: str, segment_seconds: int, out_dir: Path) -> list[str]:
    """One HLS media playlist (`stream` is "v" or "a") cut from `source` without re-encoding."""
    return ["-i", str(source), "-map", f"0:{stream}:0", "-c", "copy", "-f", "hls",
            "-hls_time", str(segment_seconds), "-hls_playlist_type", "vod",
            "-hls_segment_filename", str(out_dir / "seg%03d.ts"), str(out_dir / "index.m3u8")]


def poster_args(*, video: Path, at_seconds: float, out_path: Path) -> list[str]:
    return ["-ss", f"{at_seconds:.3f}", "-i", str(video), "-frames:v", "1", "-q:v", "3", "-f", "image2",
            str(out_path)]
