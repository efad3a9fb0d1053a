"""Packaging a finished MP4: checking it, cutting HLS (every rendition of one picture in one
process), the playlists and the poster.

Each language has its own picture (its captions, its timing), so each has its own HLS tree: the
first language's at the root of the video's `hls/` folder, every other language's in a folder
named by its code (`hls/de/`). A tree is one master playlist with one video rendition (that
picture), one audio rendition (its narration, the only one timed to that picture) and one WebVTT
rendition per language (every language's text, timed to that picture's steps). docs/videos.md
says why the layout is a master per language and not alternative renditions of one master.

Playlists follow RFC 8216: BANDWIDTH is the peak segment bit rate and AVERAGE-BANDWIDTH the
average segment bit rate of the largest playable combination of renditions, measured from the
segments written; CODECS names the streams as they were encoded (`probe.codec_string`); each
rendition group has exactly one DEFAULT=YES member.
"""

from __future__ import annotations

import logging
import math
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from contentizer.languages import language_name
from contentizer.media import compose, ffmpeg, probe

logger = logging.getLogger(__name__)

HLS_SEGMENT_SECONDS = 4


def hls_args(video: Path, languages: list[str], root: Path) -> list[str]:
    """The video and its audio tracks (one per language in `languages`, in stream order: a
    language's own picture has one; a video made with one picture for every language, such as an
    import of an older export, one per language), cut into `root` in one process."""
    return compose.hls_args(source=video, audio_names=[f"audio_{lang}" for lang in languages],
                            segment_seconds=HLS_SEGMENT_SECONDS, out_dir=root)


def tree(language: str, languages: list[str]) -> str:
    """Where a language's HLS tree sits under the video's `hls/` folder: the first language's at
    its root (so `hls/master.m3u8` plays the default language, as it always has), another's in a
    folder named by its code."""
    return "" if language == languages[0] else language


# --- measuring what was written ---------------------------------------------------------------

@dataclass(frozen=True)
class MediaPlaylist:
    target: int  # EXT-X-TARGETDURATION
    segments: tuple[tuple[str, float], ...]  # (URI, EXTINF seconds)


def read_media_playlist(path: Path) -> MediaPlaylist:
    """The target duration and segments of a media playlist (one FFmpeg or this module wrote)."""
    target, segments, seconds = 0, [], None
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("#EXT-X-TARGETDURATION:"):
            target = int(line.split(":", 1)[1])
        elif line.startswith("#EXTINF:"):
            seconds = float(line.split(":", 1)[1].split(",", 1)[0])
        elif line and not line.startswith("#") and seconds is not None:
            segments.append((line, seconds))
            seconds = None
    return MediaPlaylist(target=target, segments=tuple(segments))


def segment_bitrates(playlist: Path) -> tuple[int, int]:
    """(peak, average) segment bit rate of a media playlist, in bits per second, as RFC 8216
    (section 4.1) defines them: the peak is the largest bit rate of any contiguous set of
    segments lasting between 0.5 and 1.5 times the target duration (the segments' sizes summed
    over their EXTINF durations summed); the average is every segment's bits over the playlist's
    duration. A playlist too short for any such set (a video under half a target duration)
    peaks at its whole bit rate."""
    listed = read_media_playlist(playlist)
    sizes = [(playlist.parent / uri).stat().st_size * 8 for uri, _ in listed.segments]
    durations = [seconds for _, seconds in listed.segments]
    total = sum(durations)
    if not sizes or total <= 0:
        return 0, 0
    low, high, peak = 0.5 * listed.target, 1.5 * listed.target, 0.0
    for first in range(len(sizes)):
        bits = seconds = 0.0
        for last in range(first, len(sizes)):
            bits, seconds = bits + sizes[last], seconds + durations[last]
            if seconds > high:
                break
            if seconds >= low and seconds > 0:
                peak = max(peak, bits / seconds)
    average = sum(sizes) / total
    return math.ceil(peak or average), math.ceil(average)


@dataclass(frozen=True)
class Rendition:
    """One media playlist of a master: its URI (relative to the master), its measured segment bit
    rates and, for audio and subtitles, its language."""

    uri: str
    peak: int
    average: int
    language: str = ""
    channels: int = 0


def measured(root: Path, uri: str, *, language: str = "", channels: int = 0) -> Rendition:
    peak, average = segment_bitrates(root / uri)
    return Rendition(uri=uri, peak=peak, average=average, language=language, channels=channels)


def largest_combination(video: Rendition, audio: list[Rendition], subtitles: list[Rendition]) -> tuple[int, int]:
    """(peak, average) bit rate of the largest playable combination: the video, one audio
    rendition and one subtitle rendition (RFC 8216, BANDWIDTH and AVERAGE-BANDWIDTH)."""
    return (video.peak + max((a.peak for a in audio), default=0) + max((s.peak for s in subtitles), default=0),
            video.average + max((a.average for a in audio), default=0)
            + max((s.average for s in subtitles), default=0))


def master_playlist(*, video: Rendition, audio: list[Rendition], subtitles: list[Rendition], codecs: list[str],
                    width: int, height: int, fps: float | None, default_subtitles: str) -> str:
    """One variant: the picture, with its audio and subtitle groups. BANDWIDTH and
    AVERAGE-BANDWIDTH are the largest sums any playable combination (the video, one audio
    rendition, one subtitle rendition) makes. Exactly one DEFAULT=YES per group: the first audio
    rendition, and the subtitles in `default_subtitles` (the picture's own language)."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:6", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for i, rendition in enumerate(audio):
        lang = rendition.language
        lines.append(f'#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",LANGUAGE="{lang}",NAME="{language_name(lang)}",'
                     f'DEFAULT={"YES" if i == 0 else "NO"},AUTOSELECT=YES,CHANNELS="{rendition.channels}",'
                     f'URI="{rendition.uri}"')
    default = default_subtitles if any(s.language == default_subtitles for s in subtitles) else (
        subtitles[0].language if subtitles else "")
    for rendition in subtitles:
        lang = rendition.language
        lines.append(f'#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",LANGUAGE="{lang}",NAME="{language_name(lang)}",'
                     f'DEFAULT={"YES" if lang == default else "NO"},AUTOSELECT=YES,FORCED=NO,URI="{rendition.uri}"')
    peak, average = largest_combination(video, audio, subtitles)
    groups = (',AUDIO="aud"' if audio else "") + (',SUBTITLES="subs"' if subtitles else "")
    rate = f",FRAME-RATE={fps:.3f}" if fps else ""
    lines.append(f'#EXT-X-STREAM-INF:BANDWIDTH={peak},AVERAGE-BANDWIDTH={average},CODECS="{",".join(codecs)}",'
                 f'RESOLUTION={width}x{height}{rate}{groups}')
    lines.append(video.uri)
    return "\n".join(lines) + "\n"


def subtitle_playlist(duration: float) -> str:
    return (f"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:{math.ceil(duration)}\n#EXT-X-MEDIA-SEQUENCE:0\n"
            f"#EXT-X-PLAYLIST-TYPE:VOD\n#EXTINF:{duration:.3f},\nsubtitles.vtt\n#EXT-X-ENDLIST\n")


def segments_start(root: Path) -> int:
    """Where the video's time 0 sits on the HLS segments' 90 kHz clock. FFmpeg's MPEG-TS muxer
    starts around 1.4 s (its muxdelay), plus the encoder's reordering delay; the first video
    segment says exactly where."""
    return probe.first_pts(str(root / "video" / "seg000.ts"), demuxer="mpegts")


def map_to_segments(vtt: Path, start: int) -> None:
    """Give an HLS WebVTT file the X-TIMESTAMP-MAP that ties its cue times to the segments' clock;
    without it players (hls.js, Safari) show every cue early by the segments' start."""
    head, _, rest = vtt.read_text(encoding="utf-8").partition("\n")
    vtt.write_text(f"{head}\nX-TIMESTAMP-MAP=MPEGTS:{start},LOCAL:00:00:00.000\n{rest}", encoding="utf-8")


def write_playlists(root: Path, *, source: Path, audio_languages: list[str], subtitle_languages: list[str],
                    width: int, height: int, fps: float | None, duration: float, channels: list[int]) -> dict:
    """The subtitle playlists and the master of one tree (its segments and WebVTT files already in
    place), measured from what is on disk; the first audio language is the default of both groups.
    Returns what was declared."""
    for lang in subtitle_languages:
        (root / f"subs_{lang}" / "index.m3u8").write_text(subtitle_playlist(duration))
    video = measured(root, "video/index.m3u8")
    audio = [measured(root, f"audio_{lang}/index.m3u8", language=lang, channels=n)
             for lang, n in zip(audio_languages, channels, strict=True)]
    subs = [measured(root, f"subs_{lang}/index.m3u8", language=lang) for lang in subtitle_languages]
    codecs = [probe.codec_string(str(source), demuxer="mp4", stream_type=kind) for kind in ("video", "audio")]
    (root / "master.m3u8").write_text(master_playlist(
        video=video, audio=audio, subtitles=subs, codecs=codecs, width=width, height=height, fps=fps,
        default_subtitles=audio_languages[0]))
    peak, average = largest_combination(video, audio, subs)
    return {"bandwidth": peak, "averageBandwidth": average, "videoPeak": video.peak, "codecs": codecs}


def cut_tree(root: Path, *, video: Path, audio_languages: list[str], vtts: dict[str, Path], width: int, height: int,
             fps: float | None, duration: float, timeout: float, log_path: str | None = None,
             should_cancel: Callable[[], bool] | None = None) -> dict:
    """One picture's HLS tree in `root`: the video and its audio tracks (one per language of
    `audio_languages`, in stream order) cut in one process, each language's WebVTT file (`vtts`, timed to
    this picture) mapped to the segments' clock, and the playlists measured from what was written.
    Returns what the master declared (`write_playlists`)."""
    root.mkdir(parents=True, exist_ok=True)
    ffmpeg.run(hls_args(video, audio_languages, root), timeout=timeout, log_path=log_path,
               should_cancel=should_cancel)
    start = segments_start(root)
    for lang, vtt in vtts.items():
        target = root / f"subs_{lang}" / "subtitles.vtt"
        target.parent.mkdir()
        if vtt != target:
            shutil.copyfile(vtt, target)
        map_to_segments(target, start)
    return write_playlists(root, source=video, audio_languages=audio_languages, subtitle_languages=list(vtts),
                           width=width, height=height, fps=fps, duration=duration,
                           channels=probe.audio_channels(str(video), demuxer="mp4"))


def poster(video: Path, *, duration: float, out: Path) -> Path:
    """A frame a third of the way in (at most 1 s), decoded in-process: no FFmpeg run."""
    image = probe.poster_frame(str(video), demuxer="mp4", at_seconds=min(1.0, duration / 3))
    image.convert("RGB").save(out, format="JPEG", quality=85)
    return out
