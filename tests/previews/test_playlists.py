"""HLS playlists as RFC 8216 asks: BANDWIDTH and AVERAGE-BANDWIDTH measured from the segments,
CODECS from the encoded streams, exactly one DEFAULT=YES per rendition group. Checked against
ffprobe's reading of the segments FFmpeg wrote."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path

import m3u8
import pytest

from contentizer.media import ffmpeg
from previews.videos import packaging

FFPROBE = shutil.which("ffprobe")
H264_PROFILES = {"Constrained Baseline": 66, "Baseline": 66, "Main": 77, "High": 100}


def _ffprobe(path: Path, *entries: str) -> dict:
    out = subprocess.run([FFPROBE, "-v", "error", "-show_entries", ",".join(entries), "-of", "json", str(path)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    """A 12 s picture, 4 s still then 4 s of noise then 4 s still (so one stretch costs far more bits
    than the rest), with a mono AAC track, cut into HLS the way a video's package stage cuts it."""
    if FFPROBE is None:
        pytest.skip("no ffprobe on PATH to check the segments against")
    work = tmp_path_factory.mktemp("hls")
    mp4 = work / "video.mp4"
    graph = ("color=c=0x336699:s=320x240:r=30:d=4[a];color=c=gray:s=320x240:r=30:d=4,noise=alls=90:allf=t[b];"
             "color=c=0x336699:s=320x240:r=30:d=4[c];[a][b][c]concat=n=3:v=1:a=0,format=yuv420p[v]")
    ffmpeg.run(["-filter_complex", graph, "-f", "lavfi", "-i", "sine=f=440:sample_rate=22050:d=12",
                "-map", "[v]", "-map", "0:a", "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high",
                "-level:v", "3.0", "-force_key_frames", "expr:gte(t,n_forced*2)", "-c:a", "aac", "-ac", "1",
                "-t", "12", "-f", "mp4", str(mp4)], timeout=120, log_path=str(work / "encode.log"))
    ffmpeg.run(packaging.hls_args(mp4, ["en"], work), timeout=120, log_path=str(work / "hls.log"))
    for lang in ("en", "de"):
        (work / f"subs_{lang}").mkdir()
        (work / f"subs_{lang}" / "subtitles.vtt").write_text("WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nHello\n")
    packaging.write_playlists(work, source=mp4, audio_languages=["en"], subtitle_languages=["en", "de"], width=320,
                              height=240, fps=30, duration=12.0, channels=[1])
    return work


def _rfc_peak_and_average(root: Path, uri: str) -> tuple[float, float]:
    """RFC 8216 section 4.1 written out again: sizes as ffprobe reads them, durations from EXTINF."""
    playlist = m3u8.loads((root / uri).read_text())
    folder = (root / uri).parent
    sizes = [int(_ffprobe(folder / s.uri, "format=size")["format"]["size"]) * 8 for s in playlist.segments]
    durations = [s.duration for s in playlist.segments]
    target = playlist.target_duration
    rates = [sum(sizes[i:j]) / sum(durations[i:j]) for i in range(len(sizes)) for j in range(i + 1, len(sizes) + 1)
             if 0.5 * target <= sum(durations[i:j]) <= 1.5 * target]
    average = sum(sizes) / sum(durations)
    return max(rates or [average]), average


def test_bandwidth_is_the_peak_segment_bit_rate_of_the_largest_combination(tree):
    master = m3u8.loads((tree / "master.m3u8").read_text())
    (variant,) = master.playlists
    video = _rfc_peak_and_average(tree, variant.uri)
    audio = _rfc_peak_and_average(tree, "audio_en/index.m3u8")
    subs = [_rfc_peak_and_average(tree, f"subs_{lang}/index.m3u8") for lang in ("en", "de")]
    peak = video[0] + audio[0] + max(s[0] for s in subs)
    average = video[1] + audio[1] + max(s[1] for s in subs)
    assert variant.stream_info.bandwidth == math.ceil(peak) or abs(variant.stream_info.bandwidth - peak) <= 3
    assert abs(variant.stream_info.average_bandwidth - average) <= 3
    # the noisy stretch makes the peak well above the average: a constant would hide it
    assert variant.stream_info.bandwidth > 1.3 * variant.stream_info.average_bandwidth
    # and the segments really last what the playlist says
    playlist = m3u8.loads((tree / variant.uri).read_text())
    for segment in playlist.segments:
        probed = float(_ffprobe(tree / "video" / segment.uri, "format=duration")["format"]["duration"])
        assert abs(probed - segment.duration) < 0.1, (segment.uri, probed, segment.duration)


def test_codecs_name_the_profile_and_level_the_segments_carry(tree):
    master = m3u8.loads((tree / "master.m3u8").read_text())
    video_codec, audio_codec = master.playlists[0].stream_info.codecs.split(",")
    streams = _ffprobe(tree / "video" / "seg000.ts", "stream=codec_name,profile,level")["streams"]
    (h264,) = [s for s in streams if s["codec_name"] == "h264"]
    assert video_codec.startswith(f"avc1.{H264_PROFILES[h264['profile']]:02x}")
    assert int(video_codec[-2:], 16) == h264["level"] == 30
    (aac,) = _ffprobe(tree / "audio_en" / "seg000.ts", "stream=codec_name,profile")["streams"]
    assert aac["codec_name"] == "aac" and aac["profile"] == "LC" and audio_codec == "mp4a.40.2"


def test_each_rendition_group_has_exactly_one_default(tree):
    master = m3u8.loads((tree / "master.m3u8").read_text())
    for group in ("aud", "subs"):
        members = [m for m in master.media if m.group_id == group]
        assert [m.default for m in members].count("YES") == 1, group
    subs = [m for m in master.media if m.type == "SUBTITLES"]
    assert [(m.language, m.default) for m in subs] == [("en", "YES"), ("de", "NO")], "the picture's own language"


def test_a_playlist_too_short_for_any_set_peaks_at_its_whole_rate(tmp_path):
    (tmp_path / "a.ts").write_bytes(b"x" * 1000)
    (tmp_path / "index.m3u8").write_text("#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:1.0,\na.ts\n#EXT-X-ENDLIST\n")
    assert packaging.segment_bitrates(tmp_path / "index.m3u8") == (8000, 8000)
