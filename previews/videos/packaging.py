"""Packaging a finished MP4: checking it, cutting HLS (every rendition in one process), the
playlists and the poster."""

from __future__ import annotations

import logging
from pathlib import Path

from contentizer.languages import language_name
from contentizer.media import compose, probe

logger = logging.getLogger(__name__)

HLS_SEGMENT_SECONDS = 4


def hls_args(video: Path, languages: list[str], root: Path) -> list[str]:
    return compose.hls_args(source=video, audio_names=[f"audio_{lang}" for lang in languages],
                            segment_seconds=HLS_SEGMENT_SECONDS, out_dir=root)


def master_playlist(render: dict, audio_languages: list[str], subtitle_languages: list[str]) -> str:
    lines = ["#EXTM3U", "#EXT-X-VERSION:6", "#EXT-X-INDEPENDENT-SEGMENTS"]
    channels = render.get("channels") or [2] * len(audio_languages)
    for i, lang in enumerate(audio_languages):
        lines.append(f'#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",LANGUAGE="{lang}",NAME="{language_name(lang)}",'
                     f'DEFAULT={"YES" if i == 0 else "NO"},AUTOSELECT=YES,CHANNELS="{channels[i]}",'
                     f'URI="audio_{lang}/index.m3u8"')
    for lang in subtitle_languages:
        lines.append(f'#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",LANGUAGE="{lang}",NAME="{language_name(lang)}",'
                     f'DEFAULT=NO,AUTOSELECT=YES,FORCED=NO,URI="subs_{lang}/index.m3u8"')
    lines.append(f'#EXT-X-STREAM-INF:BANDWIDTH=2500000,RESOLUTION={render["width"]}x{render["height"]},'
                 f'CODECS="avc1.640028,mp4a.40.2",AUDIO="aud",SUBTITLES="subs"')
    lines.append("video/index.m3u8")
    return "\n".join(lines) + "\n"


def subtitle_playlist(duration: float) -> str:
    return (f"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:{int(duration) + 1}\n#EXT-X-MEDIA-SEQUENCE:0\n"
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


def write_playlists(root: Path, *, render: dict, languages: list[str]) -> None:
    for lang in languages:
        (root / f"subs_{lang}").mkdir(parents=True, exist_ok=True)
        (root / f"subs_{lang}" / "index.m3u8").write_text(subtitle_playlist(render["duration"]))
    (root / "master.m3u8").write_text(master_playlist(render, languages, languages))


def poster(video: Path, *, duration: float, out: Path) -> Path:
    """A frame a third of the way in (at most 1 s), decoded in-process: no FFmpeg run."""
    image = probe.poster_frame(str(video), demuxer="mp4", at_seconds=min(1.0, duration / 3))
    image.convert("RGB").save(out, format="JPEG", quality=85)
    return out
