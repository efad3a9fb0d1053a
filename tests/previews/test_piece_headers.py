"""Every piece's stream header is set explicitly (issue 17.2): pieces of any kind of picture,
made by any FFmpeg build the product accepts, join without re-encoding."""

from __future__ import annotations

import os
from pathlib import Path

import av
import pytest
from PIL import Image

from contentizer.media import compose, ffmpeg, remux
from tests import media

DEBIAN_FFMPEG = Path(os.environ.get("DEBIAN_FFMPEG", "/usr/bin/ffmpeg"))
RED, BLUE = (220, 30, 30), (30, 30, 220)


@pytest.fixture(autouse=True)
def fresh_binary_cache():
    ffmpeg.binary.cache_clear()
    ffmpeg.version.cache_clear()
    yield
    ffmpeg.binary.cache_clear()
    ffmpeg.version.cache_clear()


def _sources(tmp_path: Path) -> list[compose.Media]:
    png, jpg = tmp_path / "red.png", tmp_path / "blue.jpg"
    Image.new("RGB", (640, 360), RED).save(png)
    Image.new("RGB", (1280, 720), BLUE).save(jpg, quality=92)
    clip = media.make_av(tmp_path, "clip.mp4")
    return [compose.Media(png, "image2"), compose.Media(jpg, "image2"), compose.Media(clip, "mp4")]


def _picture(sources: list[compose.Media]) -> compose.Picture:
    return compose.Picture(width=854, height=480, fps=30, preset="veryfast", crf=23, scenes=tuple(
        compose.Scene(source=source, still=source.demuxer == "image2", frames=15) for source in sources))


def _render_pieces(picture: compose.Picture, builds: list[str], tmp_path: Path, settings) -> list[Path]:
    paths = []
    for i, build in enumerate(builds):
        settings.FFMPEG_BINARY = build
        ffmpeg.binary.cache_clear()
        path = tmp_path / f"piece-{i}.mp4"
        ffmpeg.run(compose.pieces_args(picture, [((compose.Segment("body", i),), path)]), timeout=120)
        paths.append(path)
    return paths


def _headers(path: Path) -> tuple:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return stream.codec_context.extradata, stream.time_base, stream.codec_context.profile


def _join_and_check(pieces: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "joined.mp4"
    assert remux.join_video(pieces, out, fps=30) == 45
    with av.open(str(out)) as container:
        frames = [f.to_ndarray(format="rgb24")[240, 427] for f in container.decode(container.streams.video[0])]
    assert len(frames) == 45
    assert frames[7][0] > 180 and frames[7][2] < 80, "the PNG's red"
    assert frames[22][2] > 180 and frames[22][0] < 80, "the JPEG's blue, in the same colour range"


def test_pieces_of_a_png_a_jpeg_and_a_clip_have_one_header_and_join(tmp_path, settings):
    picture = _picture(_sources(tmp_path))
    bundled = ffmpeg.binary()
    pieces = _render_pieces(picture, [bundled] * 3, tmp_path, settings)
    assert len({_headers(p) for p in pieces}) == 1
    assert _headers(pieces[0])[2] == "High"
    _join_and_check(pieces, tmp_path)


@pytest.mark.skipif(not DEBIAN_FFMPEG.exists(),
                    reason=f"needs a second FFmpeg build (Debian's: apt-get install ffmpeg) at {DEBIAN_FFMPEG}")
def test_pieces_made_by_two_ffmpeg_builds_join(tmp_path, settings):
    settings.FFMPEG_BINARY = ""
    bundled = ffmpeg.binary()
    settings.FFMPEG_BINARY = str(DEBIAN_FFMPEG)
    assert ffmpeg.build_problem() is None, "the second build is one the product accepts"
    picture = _picture(_sources(tmp_path))
    pieces = _render_pieces(picture, [bundled, str(DEBIAN_FFMPEG), bundled], tmp_path, settings)
    assert len({_headers(p) for p in pieces}) == 1
    _join_and_check(pieces, tmp_path)


@pytest.mark.parametrize(("size", "fps", "level"), [
    ((640, 480), 30, 30), ((854, 480), 30, 31), ((1280, 720), 30, 31), ((1920, 1080), 30, 40), ((1080, 1920), 30, 40),
    ((1080, 1080), 30, 32), ((1920, 1080), 60, 42)])
def test_the_level_is_the_lowest_that_holds_the_picture(size, fps, level):
    assert compose.h264_level(*size, fps) == level
