"""Joining our own rendered pieces into one video stream in-process, without re-encoding.

FFmpeg's concat demuxer opens every piece with a full stream probe, which decodes its first
frame (about 15 ms for a 720p keyframe): a chapter of many pieces spent most of its assembly
there. Here each piece is opened from its header alone and its packets are copied, shifted by
the frames before it, into one MP4 (the same timestamps the concat demuxer gives).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import av.error

from contentizer.media.probe import ProbeError, open_input


def join_video(pieces: Sequence[Path], out: Path, *, fps: int) -> int:
    """The first video stream of each MP4 piece, one after another, into `out`; returns the
    frames written. Every piece must come from the same encoder settings (one SPS/PPS): the
    output keeps the first piece's."""
    frames, start = 0, Fraction(0)
    with av.open(str(out), mode="w", format="mp4") as output:
        stream, settings = None, None
        for path in pieces:
            with open_input(str(path), "mp4", decode=False) as piece:
                source = piece.streams.video[0]
                if stream is None:
                    stream, settings = output.add_stream_from_template(source), source.codec_context.extradata
                elif source.codec_context.extradata != settings:
                    raise ProbeError(f"{path.name} was encoded with other settings than the pieces before it")
                shift, count = round(start / source.time_base), 0
                try:
                    for packet in piece.demux(source):
                        if not packet.size:
                            continue
                        packet.pts, packet.dts = packet.pts + shift, packet.dts + shift
                        packet.stream = stream
                        output.mux(packet)
                        count += 1
                except av.error.FFmpegError as exc:
                    raise ProbeError(f"{path.name} cannot be read to the end: {exc}") from exc
            frames += count
            start += Fraction(count, fps)
    return frames
