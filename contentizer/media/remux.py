"""Joining our own rendered pieces into one video stream in-process, without re-encoding.

FFmpeg's concat demuxer fully probes every piece it opens, which decodes its first frame (about
15 ms for a 720p keyframe): a chapter of many pieces spent most of its assembly there. Here each
piece is opened without decoding anything and its packets are copied, shifted by the frames
before it, into one MP4: the timestamps the concat demuxer and FFmpeg's muxing give.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import av.error

from contentizer.media.probe import ProbeError, open_input


class JoinError(ProbeError):
    """Joining failed. `index` is the piece at fault (None when writing the output failed, which
    says nothing about the pieces: a full disk, worth another try)."""

    def __init__(self, message: str, *, index: int | None = None) -> None:
        super().__init__(message)
        self.index = index


def join_video(pieces: Sequence[Path], out: Path, *, fps: int) -> int:
    """The first video stream of each MP4 piece, one after another, into `out`; returns the
    frames written. Every piece must come from the same encoder settings (one SPS/PPS): the
    output keeps the first piece's."""
    frames, last, stream, settings = 0, None, None, None
    try:
        with av.open(str(out), mode="w", format="mp4") as output:
            for index, path in enumerate(pieces):
                with _opened(path, index) as piece:
                    source = piece.streams.video[0]
                    if stream is None:  # the output's own time base may change when its header is written
                        stream = output.add_stream_from_template(source)
                        settings = (source.codec_context.extradata, source.time_base)
                    elif (source.codec_context.extradata, source.time_base) != settings:
                        raise JoinError(f"{path.name} was encoded with other settings than the pieces before it",
                                        index=index)
                    shift = round(Fraction(frames, fps) / source.time_base)
                    for packet in _packets(piece, source, path.name, index):
                        last = _shifted(packet, shift, last)
                        packet.stream = stream
                        output.mux(packet)
                        frames += 1
    except (av.error.FFmpegError, OSError) as exc:  # writing: FFmpeg's words would name our paths
        raise JoinError(f"writing the joined video failed ({getattr(exc, 'strerror', None) or 'error'})") from exc
    return frames


def _shifted(packet: av.Packet, shift: int, last: Fraction | None) -> Fraction:
    """Move the packet `shift` ticks later; returns its decode time in seconds. A piece of one or
    two frames has no B-frame delay: its decode times start at its first frame, while the next
    piece's start two frames early. Such a time is moved just past the last one written (as
    FFmpeg's muxing does); it stays before the frame's presentation."""
    packet.pts, packet.dts = packet.pts + shift, packet.dts + shift
    if last is not None and packet.dts * packet.time_base <= last:
        packet.dts = int(last / packet.time_base) + 1
    return packet.dts * packet.time_base


def _opened(path: Path, index: int) -> av.container.InputContainer:
    try:
        return open_input(str(path), "mp4", decode=False)
    except ProbeError as exc:  # its words name the work dir
        raise JoinError(f"{path.name} does not open as MP4", index=index) from exc


def _packets(piece: av.container.InputContainer, source: av.stream.Stream, name: str, index: int):
    try:
        for packet in piece.demux(source):
            if packet.size:
                yield packet
    except av.error.FFmpegError as exc:
        raise JoinError(f"{name} cannot be read to the end ({exc.strerror})", index=index) from exc
