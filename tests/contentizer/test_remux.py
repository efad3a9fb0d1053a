"""Joining rendered pieces in-process: frames, timing and pictures as the pieces had them."""

from __future__ import annotations

import av
import pytest

from contentizer.media import ffmpeg, remux
from contentizer.media.probe import ProbeError


def _piece(path, colour: str, frames: int, preset: str = "veryfast"):
    ffmpeg.run(["-f", "lavfi", "-i", f"color=c={colour}:s=320x180:r=30", "-frames:v", str(frames),
                "-c:v", "libx264", "-preset", preset, "-crf", "23", "-pix_fmt", "yuv420p", "-f", "mp4", str(path)],
               timeout=60)
    return path


def _decoded(path) -> list[tuple[float, tuple[int, int, int]]]:
    with av.open(str(path)) as container:
        return [(frame.time, tuple(int(v) for v in frame.to_ndarray(format="rgb24")[90, 160]))
                for frame in container.decode(container.streams.video[0])]


def test_pieces_join_into_one_stream_with_every_frame_in_order(tmp_path):
    pieces = [_piece(tmp_path / "a.mp4", "red", 20), _piece(tmp_path / "b.mp4", "blue", 7),
              _piece(tmp_path / "c.mp4", "lime", 33)]
    out = tmp_path / "joined.mp4"
    assert remux.join_video(pieces, out, fps=30) == 60
    frames = _decoded(out)
    assert len(frames) == 60
    assert [round(t * 30) for t, _ in frames] == list(range(60)), "one frame every 1/30 s, none repeated"
    red, blue, lime = frames[10][1], frames[23][1], frames[45][1]
    assert red[0] > 200 > max(red[1:]) and blue[2] > 200 > max(blue[:2]) and lime[1] > 200 > max(lime[0], lime[2])
    assert [c for _, c in frames[19:21]] == [red, blue], "the second piece starts on the 21st frame"
    with av.open(str(out)) as container:
        assert abs(container.duration / av.time_base - 2.0) < 0.01


def test_a_piece_encoded_with_other_settings_is_refused_by_name(tmp_path):
    pieces = [_piece(tmp_path / "a.mp4", "red", 5), _piece(tmp_path / "odd.mp4", "blue", 5, preset="ultrafast")]
    with pytest.raises(ProbeError, match="odd.mp4 was encoded with other settings"):
        remux.join_video(pieces, tmp_path / "joined.mp4", fps=30)


def test_a_cut_piece_is_a_probe_error_not_a_crash(tmp_path):
    good = _piece(tmp_path / "a.mp4", "red", 5)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(_piece(tmp_path / "b.mp4", "blue", 30).read_bytes()[:600])
    with pytest.raises(ProbeError) as failure:
        remux.join_video([good, cut], tmp_path / "joined.mp4", fps=30)
    assert str(failure.value) == "cut.mp4 does not open as MP4", "named, with no server path"


@pytest.mark.parametrize("short", [1, 2])
def test_a_piece_of_one_or_two_frames_joins_before_a_longer_one(tmp_path, short):
    # x264 with B-frames: a long piece's decode times start two frames early, a short one's do not
    pieces = [_piece(tmp_path / "a.mp4", "red", 20), _piece(tmp_path / "b.mp4", "blue", short),
              _piece(tmp_path / "c.mp4", "lime", 7), _piece(tmp_path / "d.mp4", "red", 1)]
    out = tmp_path / "joined.mp4"
    assert remux.join_video(pieces, out, fps=30) == 28 + short
    frames = _decoded(out)
    assert [round(t * 30) for t, _ in frames] == list(range(28 + short))
    assert frames[20][1][2] > 200 and frames[20 + short][1][1] > 200, "blue, then lime, each in its place"


def test_pieces_with_a_time_scale_the_muxer_raises_still_join(tmp_path):
    """At 10 fps a piece's track time scale is 5120 ticks a second; the joined file's muxer raises
    its own to 10240 when it writes its header, which must not read as a piece with other settings."""
    def piece(path, colour):
        ffmpeg.run(["-f", "lavfi", "-i", f"color=c={colour}:s=64x64:r=10", "-frames:v", "5", "-c:v", "libx264",
                    "-pix_fmt", "yuv420p", "-video_track_timescale", "5120", "-f", "mp4", str(path)], timeout=60)
        return path

    out = tmp_path / "joined.mp4"
    assert remux.join_video([piece(tmp_path / "a.mp4", "red"), piece(tmp_path / "b.mp4", "blue")], out, fps=10) == 10
    with av.open(str(out)) as container:
        colours = [f.to_ndarray(format="rgb24")[32, 32] for f in container.decode(container.streams.video[0])]
    assert len(colours) == 10 and colours[2][0] > 200 and colours[7][2] > 200
