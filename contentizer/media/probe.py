"""Media probing with PyAV (FFmpeg's libraries in-process, no ffprobe binary needed).

Inputs are opened only with a demuxer named by the caller (from the sniffed type), so a file
that is really a playlist or concat script is never interpreted as one, and only the `file`
protocol is allowed.
"""

from __future__ import annotations

import logging
import wave
from dataclasses import dataclass, field, replace
from pathlib import Path

import av
import av.error
from PIL import Image

from contentizer.media import pcm

logger = logging.getLogger(__name__)

# A file whose packets stop before this share of its header's duration (less the slack) is
# truncated. Encoders pad and round, hence the tolerance.
TRUNCATION_RATIO = 0.9
TRUNCATION_SLACK = 0.5

# Options applied to every open: no network, no following references to other files.
_SAFE_OPTIONS = {"protocol_whitelist": "file", "enable_drefs": "0", "use_absolute_path": "0"}


class ProbeError(Exception):
    """The file does not decode as the media type it claims to be."""


@dataclass(frozen=True)
class StreamInfo:
    type: str  # "video" | "audio" | "subtitle" | "data" ...
    codec: str
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class MediaInfo:
    format_name: str
    duration: float | None
    streams: list[StreamInfo] = field(default_factory=list)
    video_frames: int | None = None  # counted only when asked for

    def first(self, stream_type: str) -> StreamInfo | None:
        return next((s for s in self.streams if s.type == stream_type), None)

    @property
    def codecs(self) -> list[str]:
        return [s.codec for s in self.streams if s.type in ("video", "audio")]


def open_input(path: str, demuxer: str, *, decode: bool = True) -> av.container.InputContainer:
    """With `decode=False` FFmpeg probes the streams without decoding a frame of each (a 720p
    H.264 keyframe costs ~15 ms): codecs, sizes, durations and packets are all there, the pixel
    format is not (nothing reading our own files asks for it)."""
    options = _SAFE_OPTIONS if decode else {**_SAFE_OPTIONS, "skip_frame": "all"}
    try:
        return av.open(path, mode="r", format=demuxer, options=options, timeout=30)
    except (av.error.FFmpegError, ValueError, OSError) as exc:
        raise ProbeError(f"cannot be read as {demuxer}: {exc}") from exc


def _stream_info(stream: av.stream.Stream) -> StreamInfo:
    ctx = stream.codec_context
    width = getattr(ctx, "width", None) if stream.type == "video" else None
    height = getattr(ctx, "height", None) if stream.type == "video" else None
    # canonical_name is the codec ("mp3"), not the decoder that reads it ("mp3float")
    codec = ctx.codec.canonical_name if ctx and ctx.codec else "unknown"
    return StreamInfo(type=stream.type, codec=codec, width=width, height=height)


def _duration(container: av.container.InputContainer) -> float | None:
    if container.duration is not None and container.duration > 0:
        return container.duration / av.time_base
    durations = [
        float(s.duration * s.time_base) for s in container.streams if s.duration and s.time_base
    ]
    return max(durations) if durations else None


def probe(path: str, *, demuxer: str, max_streams: int, count_frames: bool = False) -> MediaInfo:
    """Read the container's header; check the stream count before touching any stream. With
    `count_frames` (our own rendered files), also count the first video stream's packets (as
    `count_frames` does), without decoding any."""
    with open_input(path, demuxer, decode=not count_frames) as container:
        if len(container.streams) > max_streams:
            raise ProbeError(f"has {len(container.streams)} streams; at most {max_streams} allowed")
        info = MediaInfo(
            format_name=container.format.name,
            duration=_duration(container),
            streams=[_stream_info(s) for s in container.streams],
        )
        if count_frames and container.streams.video:
            try:
                info = replace(info, video_frames=_video_packets(container))
            except av.error.FFmpegError as exc:  # a damaged index or packets: said as a probe failure
                raise ProbeError(f"cannot be read to the end as {demuxer}: {exc}") from exc
        return info


def verify_decodes(path: str, *, demuxer: str, expected_duration: float | None = None) -> float:
    """Demux every packet and decode the first frame of each audio/video stream; returns the
    duration the packets really reach.

    A file with a broken index fails to open; a truncated one opens and demuxes fine but its
    packets stop short of the duration its header promises, which is caught here. Only the
    first frames are decoded, so a long file costs a read, not a full decode.
    """
    with open_input(path, demuxer) as container:
        wanted = {s.index for s in container.streams if s.type in ("audio", "video")}
        if not wanted:
            raise ProbeError("has no audio or video stream")
        undecoded, reach = set(wanted), 0.0
        try:
            for packet in container.demux():
                if packet.stream.index not in wanted or not packet.size:
                    continue
                if packet.pts is not None and packet.time_base:
                    end = packet.pts + (packet.duration or 0) - (packet.stream.start_time or 0)
                    reach = max(reach, float(end * packet.time_base))
                if packet.stream.index in undecoded and packet.decode():
                    undecoded.discard(packet.stream.index)
            for index in sorted(undecoded):  # a decoder may hold its frames until it is drained (one-frame clips)
                if container.streams[index].codec_context.decode(None):
                    undecoded.discard(index)
        except av.error.FFmpegError as exc:
            raise ProbeError(f"is damaged: {exc}") from exc
        if undecoded:
            raise ProbeError("has a stream with no decodable frame")
    if expected_duration and reach < expected_duration * TRUNCATION_RATIO - TRUNCATION_SLACK:
        raise ProbeError(
            f"is truncated: its data ends at {reach:.2f}s but its header says {expected_duration:.2f}s"
        )
    return reach or (expected_duration or 0.0)


def count_frames(path: str, *, demuxer: str) -> int:
    """Video packets in the file (one per frame for the codecs we write): no decoding."""
    with open_input(path, demuxer, decode=False) as container:
        return _video_packets(container)


def _video_packets(container: av.container.InputContainer) -> int:
    return sum(1 for packet in container.demux(container.streams.video[0]) if packet.size)


def poster_frame(path: str, *, demuxer: str, at_seconds: float) -> Image.Image:
    """The first video frame at or after `at_seconds` (or the last one before the end)."""
    with open_input(path, demuxer) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        last = None
        try:
            if at_seconds > 0 and stream.time_base:
                container.seek(int(at_seconds / stream.time_base), stream=stream, backward=True)
            for frame in container.decode(stream):
                last = frame
                if frame.time is None or frame.time >= at_seconds:
                    break
        except av.error.FFmpegError as exc:
            raise ProbeError(f"is damaged: {exc}") from exc
        if last is None:
            raise ProbeError("has no decodable video frame")
        return last.to_image()


def _wav_header(path: str, demuxer: str) -> tuple[int, int, int] | None:
    """(rate, channels, frames) of a 16-bit PCM WAV read from its header, without opening a
    demuxer; None for anything else (24-bit, float or extensible WAV: FFmpeg reads those)."""
    if demuxer != "wav":
        return None
    try:
        header = pcm.wav_format(Path(path))
    except (ValueError, EOFError, wave.Error):
        return None
    return header if header[0] > 0 else None


def audio_format(path: str, *, demuxer: str) -> tuple[int, int]:
    """(sample rate, channels) of the first audio stream: a track is encoded as its sources are."""
    if header := _wav_header(path, demuxer):
        return header[0], header[1]
    with open_input(path, demuxer) as container:
        if not container.streams.audio:
            raise ProbeError("has no audio stream")
        ctx = container.streams.audio[0].codec_context
        return ctx.sample_rate, ctx.channels


def audio_seconds(path: str, *, demuxer: str) -> float | None:
    """How long an audio file lasts."""
    if header := _wav_header(path, demuxer):
        return header[2] / header[0]
    return probe(path, demuxer=demuxer, max_streams=1).duration


def first_pts(path: str, *, demuxer: str, stream_type: str = "video", clock: int = 90000) -> int:
    """The presentation time of the first `stream_type` frame, in ticks of `clock` (MPEG-TS: 90 kHz)."""
    with open_input(path, demuxer, decode=False) as container:
        stream = next((s for s in container.streams if s.type == stream_type), None)
        if stream is None or stream.start_time is None:
            raise ProbeError(f"has no {stream_type} stream with a start time")
        return round(stream.start_time * stream.time_base * clock)


def codec_string(path: str, *, demuxer: str, stream_type: str) -> str:
    """The RFC 6381 name of the first `stream_type` stream as it was encoded, for an HLS CODECS
    attribute: `avc1.PPCCLL` from the H.264 stream's own avcC record (profile, constraint flags,
    level), `mp4a.40.N` from the AAC stream's AudioSpecificConfig (N its object type: 2 for LC)."""
    with open_input(path, demuxer, decode=False) as container:
        stream = next((s for s in container.streams if s.type == stream_type), None)
        if stream is None:
            raise ProbeError(f"has no {stream_type} stream")
        ctx = stream.codec_context
        extradata = bytes(ctx.extradata or b"")
        codec = ctx.codec.canonical_name if ctx.codec else ""
    if codec == "h264" and len(extradata) >= 4 and extradata[0] == 1:  # avcC (MP4), not Annex B
        return f"avc1.{extradata[1]:02x}{extradata[2]:02x}{extradata[3]:02x}"
    if codec == "aac" and extradata:
        object_type = extradata[0] >> 3
        if object_type == 31 and len(extradata) >= 2:  # escape: the type follows in six more bits
            object_type = 32 + (((extradata[0] & 0x07) << 3) | (extradata[1] >> 5))
        return f"mp4a.40.{object_type}"
    raise ProbeError(f"its {stream_type} stream ({codec or 'unknown'}) has no codec record to name")


def audio_channels(path: str, *, demuxer: str) -> list[int]:
    """The channel count of every audio stream, in stream order (an HLS master playlist names them)."""
    with open_input(path, demuxer, decode=False) as container:
        return [stream.codec_context.channels for stream in container.streams.audio]


def is_audio_codec(name: str) -> bool:
    """Whether a codec name (as `MediaInfo.codecs` and a blob's `codecs` list them) is a sound's:
    tells a video with a soundtrack from a silent one without opening the file again."""
    try:
        return av.codec.Codec(name, "r").type == "audio"
    except (av.codec.codec.UnknownCodecError, ValueError):
        return False
