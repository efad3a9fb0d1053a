"""FFmpeg argv for composing scenes and sounds into video, written as filtergraph text.

Every graph has the shape of the best one a person writes by hand:
- a still is decoded, scaled, padded and captioned once, then its one frame is repeated
  (`loop`) instead of being decoded again for every output frame; a file used by several scenes
  is one input feeding a `split` (so consecutive scenes may share an asset);
- `xfade` only sees the frames of a transition: a scene is cut into head (the frames of its
  incoming transition), body and tail (its outgoing transition); the output is the sequence
  body 0, transition 0, body 1, ..., each of them a *segment*;
- segments are encoded as separate outputs of one process (pieces, cached by content and joined
  without re-encoding by `remux.join_video`) or joined in the graph into one encoder;
- sound: clips placed on a track at their own sample rate and channel count, each with the gain
  measured when the clip was made; no silent bed under them and no dynamic loudness filter.

Timing is not computed here: frame counts and sample positions come from the caller's timeline.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from contentizer.effects import DIM_OPACITY, ease_frames
from contentizer.media.framing import Box, Look

AAC_BITRATE = {1: "64k", 2: "128k"}
# The sample rates a track is encoded at: what AAC (and every player) takes, up to 48 kHz.
AAC_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)
# FFmpeg's AAC encoder with its fast coder: a quarter of the default coder's time, and speech at
# 64 kbit/s mono sounds the same.
AAC = ["aac", "-aac_coder", "fast"]
MUSIC_VOLUME = 0.3  # background music under narration, when a request names none
# A clip raised by its gain goes through this limiter: -1.5 dBFS ceiling, 5 ms look-ahead with its
# latency compensated (the clip stays in place), no automatic level (the gain is ours).
LIMITER = "alimiter=limit=0.841:attack=5:release=50:level=0:latency=1"


@dataclass(frozen=True)
class Media:
    """An input file with the demuxer that must read it. Naming the demuxer matters: left to
    probe, FFmpeg may read a crafted upload as a concat script or playlist."""

    path: Path
    demuxer: str  # "image2" for stills; "mp4", "webm", "wav"... for audio and video
    duration: float | None = None  # seconds, when known


@dataclass(frozen=True)
class Scene:
    """One scene's picture and the frames it spans, its transitions included."""

    source: Media
    still: bool  # True: one picture held; False: a video trimmed or held to the scene
    frames: int
    head: int = 0  # first frames, blended with the previous scene's tail
    tail: int = 0  # last frames, blended with the next scene's head
    xfade: str = ""  # FFmpeg xfade transition into the next scene ("" for a cut)
    caption: Path | None = None  # a transparent PNG drawn at `caption_at`
    caption_at: tuple[int, int] = (0, 0)
    look: Look | None = None  # the step's effects (focus, zoom, blur...) in the picture's pixels
    ring: Path | None = None  # a PNG of the click marker, drawn where `look.click` says

    @property
    def body(self) -> int:
        return self.frames - self.head - self.tail


@dataclass(frozen=True)
class Picture:
    width: int
    height: int
    fps: int
    scenes: tuple[Scene, ...]
    preset: str = "veryfast"
    crf: int = 23
    gop: int = 0  # frames between keyframes; 0 leaves x264's default
    threads: int = 0  # the encoder's and the filter graph's threads; 0 leaves FFmpeg's choice
    logo: Path | None = None  # a transparent PNG at its size, drawn at `logo_at` on every frame
    logo_at: tuple[int, int] = (0, 0)

    def segments(self) -> list[Segment]:
        """Every non-empty segment, in output order."""
        out = []
        for i, scene in enumerate(self.scenes):
            if scene.body > 0:
                out.append(Segment("body", i))
            if scene.tail > 0:
                out.append(Segment("transition", i))
        return out

    def frames(self, segment: Segment) -> int:
        scene = self.scenes[segment.index]
        return scene.body if segment.kind == "body" else scene.tail

    @property
    def total_frames(self) -> int:
        return sum(self.frames(s) for s in self.segments())


@dataclass(frozen=True)
class Segment:
    kind: str  # "body" of scene `index`, or the "transition" from scene `index` into the next
    index: int

    def scenes(self) -> tuple[int, ...]:
        return (self.index,) if self.kind == "body" else (self.index, self.index + 1)


@dataclass(frozen=True)
class Clip:
    """A sound placed on a track from `start` (seconds), with a fixed gain in dB."""

    media: Media
    start: float
    gain_db: float = 0.0


@dataclass(frozen=True)
class Track:
    """One audio track: clips at their places, optional music under them, `duration` long,
    encoded at `rate` Hz with `channels` channels."""

    duration: float
    rate: int
    channels: int
    clips: tuple[Clip, ...] = ()
    music: Media | None = None
    music_volume: float = MUSIC_VOLUME
    language: str = ""  # ISO 639-2 tag written on the stream
    premixed: Media | None = None  # the track already laid out (clips placed in-process): encode it as is

    @property
    def samples(self) -> int:
        return round(self.duration * self.rate)


def aac_rate(rate: int) -> int:
    """The lowest AAC rate that keeps everything a source at `rate` holds (48 kHz at most): a 192 kHz
    or a 7 Hz WAV is resampled instead of refused by the encoder."""
    return next((r for r in AAC_RATES if r >= rate), AAC_RATES[-1])


# --- building graphs ------------------------------------------------------------------------

@dataclass
class _Graph:
    inputs: list[str] = field(default_factory=list)
    chains: list[str] = field(default_factory=list)
    count: int = 0
    labels: int = 0

    def add_input(self, args: list[str]) -> int:
        self.inputs += args
        self.count += 1
        return self.count - 1

    def label(self, prefix: str) -> str:
        self.labels += 1
        return f"{prefix}{self.labels}"

    def chain(self, source: str, filters: str, prefix: str) -> str:
        out = self.label(prefix)
        self.chains.append(f"[{source}]{filters}[{out}]")
        return out

    def split(self, source: str, count: int, audio: bool = False) -> list[str]:
        if count == 1:
            return [source]
        outs = [self.label("s") for _ in range(count)]
        self.chains.append(f"[{source}]{'asplit' if audio else 'split'}={count}{''.join(f'[{o}]' for o in outs)}")
        return outs

    def filter_args(self) -> list[str]:
        return ["-filter_complex", ";".join(self.chains)] if self.chains else []


def fit_filter(pic: Picture) -> str:
    """Scaled into the frame and padded; every source (an RGB PNG, a full-range JPEG, a video)
    converted to the same BT.709 limited-range YUV, so every piece's encoder writes the same
    stream header and pieces from different kinds of picture can be joined."""
    w, h = pic.width, pic.height
    return (f"scale={w}:{h}:force_original_aspect_ratio=decrease:out_color_matrix=bt709:out_range=tv,"
            f"{COLOURED},pad={w}:{h}:(ow-iw)/2:(oh-ih)/2,setsar=1")


# setparams: the frames say what they now are (the encoder writes what the frames say in newer
# FFmpeg builds, what its options say in older ones: both are told the same)
COLOURED = "format=yuv420p,setparams=range=tv:color_primaries=bt709:color_trc=bt709:colorspace=bt709"


def _scene_sources(graph: _Graph, pic: Picture, indexes: list[int]) -> dict[int, str]:
    """A fitted picture stream per scene. A still file used by several scenes is read once and
    split; ffmpeg would refuse one input label consumed twice."""
    by_file: dict[Path, list[int]] = {}
    indexes = [i for i in indexes if pic.scenes[i].look is None]  # `_looked` reads its own
    for i in indexes:
        if pic.scenes[i].still:
            by_file.setdefault(pic.scenes[i].source.path, []).append(i)
    streams: dict[int, str] = {}
    for path, users in by_file.items():
        source = pic.scenes[users[0]].source
        n = graph.add_input(["-f", source.demuxer, "-framerate", str(pic.fps), "-i", str(path)])
        fitted = graph.chain(f"{n}:v", fit_filter(pic), "f")
        streams.update(zip(users, graph.split(fitted, len(users)), strict=True))
    for i in indexes:
        scene = pic.scenes[i]
        if not scene.still:
            seconds = f"{scene.frames / pic.fps:.6f}"
            n = graph.add_input(["-f", scene.source.demuxer, "-t", seconds, "-i", str(scene.source.path)])
            # a video shorter than its scene holds its last frame
            streams[i] = graph.chain(f"{n}:v", f"fps={pic.fps},{fit_filter(pic)},tpad=stop_mode=clone:stop_duration="
                                     f"{seconds}", "f")
    return streams


def _overlaid(graph: _Graph, stream: str, image: Path, at: tuple[int, int]) -> str:
    """A transparent PNG drawn on a YUV 4:2:0 stream (a one-frame input: overlay repeats it)."""
    n = graph.add_input(["-f", "image2", "-i", str(image)])
    out = graph.label("c")
    graph.chains.append(f"[{stream}][{n}:v]overlay={at[0]}:{at[1]}:format=auto,format=yuv420p[{out}]")
    return out


def _branded(graph: _Graph, pic: Picture, stream: str) -> str:
    """The logo over a segment's frames, if the picture has one."""
    return stream if pic.logo is None else _overlaid(graph, stream, pic.logo, pic.logo_at)


def _captioned(graph: _Graph, pic: Picture, i: int, stream: str) -> str:
    """Scene i's settled picture (already YUV 4:2:0) with its caption and the logo drawn: a still's
    once, before its one frame is repeated."""
    scene = pic.scenes[i]
    captioned = stream if scene.caption is None else _overlaid(graph, stream, scene.caption, scene.caption_at)
    return _branded(graph, pic, captioned)


def _spans(pic: Picture, i: int, wanted: set[Segment]) -> list[tuple[str, int, int]]:
    """(part, first frame, frames) of scene i that the wanted segments need."""
    scene, parts = pic.scenes[i], []
    if i and Segment("transition", i - 1) in wanted:
        parts.append(("head", 0, scene.head))
    if Segment("body", i) in wanted:
        parts.append(("body", scene.head, scene.body))
    if Segment("transition", i) in wanted:
        parts.append(("tail", scene.head + scene.body, scene.tail))
    return parts


def _span_filter(pic: Picture, still: bool, first: int, frames: int) -> str:
    take = (f"loop=loop={frames - 1}:size=1:start=0" if still
            else f"trim=start_frame={first}:end_frame={first + frames}")
    return f"{take},setpts=N/{pic.fps}/TB"


# --- effects: a scene with a look ----------------------------------------------------------

RING_SHARE = 0.09  # the click ring's diameter, of the frame's short edge, before any zoom
OUTLINE_SHARE = 1 / 240  # a highlight's outline, of the frame's short edge
BLUR_SHARE = 0.35  # a redaction's Gaussian sigma, of its region's shorter side (text turns to smudge)
MIN_BLUR_SIGMA = 6


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def canvas_size(pic: Picture, look: Look) -> tuple[int, int]:
    """The size a looked scene's view is drawn at before its frames are made: the frame's, or for
    a zoom, enough to show the zoomed region sharp (the picture's own pixels where it has fewer,
    at most what the deepest zoom shows one to one)."""
    if look.zoom is None:
        return pic.width, pic.height
    deepest = pic.width * look.view.w / look.zoom.w
    width = _even(min(max(look.view.w, pic.width), deepest))
    return width, _even(width * pic.height / pic.width)


def _redacted(look: Look) -> list[str]:
    """Each blur region cut out, blurred past reading and laid back, on the picture itself: before
    any view, fit or zoom, so nothing downstream can show what was under it."""
    chains = []
    for box in look.blur:
        x, y = int(box.x), int(box.y)
        w, h = max(2, round(box.x + box.w) - x), max(2, round(box.y + box.h) - y)
        w, h = min(w, look.size[0] - x), min(h, look.size[1] - y)
        sigma = max(MIN_BLUR_SIGMA, BLUR_SHARE * min(w, h))
        # the region is shrunk to a few pixels and blown up again before the blur: a Gaussian alone
        # can be partly undone; what the shrink threw away cannot
        chains.append((f"crop={w}:{h}:{x}:{y},scale={max(1, w // 8)}:{max(1, h // 8)}:flags=area,"
                       f"scale={w}:{h}:flags=bilinear,gblur=sigma={sigma:.1f}:steps=3", x, y))
    return chains


def _viewed(look: Look, size: tuple[int, int]) -> str:
    """The view cut from the picture (padded with black where it reaches past the picture), scaled
    to `size` in the frame's colours."""
    (pw, ph), v = look.size, look.view
    x0, y0 = math.floor(v.x), math.floor(v.y)
    vw, vh = max(2, round(v.w)), max(2, round(v.h))
    left, top = max(0, -x0), max(0, -y0)
    padded_w, padded_h = max(pw, x0 + vw) + left, max(ph, y0 + vh) + top
    pad = f"pad={padded_w}:{padded_h}:{left}:{top}:color=black," if (padded_w, padded_h) != (pw, ph) else ""
    return (f"{pad}crop={vw}:{vh}:{x0 + left}:{y0 + top},scale={size[0]}:{size[1]}:out_color_matrix=bt709:"
            f"out_range=tv,{COLOURED},setsar=1")


def _in_canvas(look: Look, box: Box, size: tuple[int, int]) -> Box:
    sx, sy = size[0] / look.view.w, size[1] / look.view.h
    return Box((box.x - look.view.x) * sx, (box.y - look.view.y) * sy, box.w * sx, box.h * sy)


def _highlighted(look: Look, pic: Picture, size: tuple[int, int]) -> str:
    """Everything outside the focus dimmed, a thin light outline around it."""
    if look.highlight is None:
        return ""
    cw, ch = size
    r = _in_canvas(look, look.highlight, size)
    x0, y0 = max(0, round(r.x)), max(0, round(r.y))
    x1, y1 = min(cw, round(r.x + r.w)), min(ch, round(r.y + r.h))
    dim = f"black@{DIM_OPACITY}"
    boxes = [(0, 0, cw, y0), (0, y1, cw, ch - y1), (0, y0, x0, y1 - y0), (x1, y0, cw - x1, y1 - y0)]
    # drawbox reads a zero width or height as "the whole frame": empty bands are left out
    out = [f"drawbox={x}:{y}:{w}:{h}:{dim}:t=fill" for x, y, w, h in boxes if w > 0 and h > 0]
    thickness = max(2, round(min(pic.width, pic.height) * OUTLINE_SHARE * cw / pic.width))
    out.append(f"drawbox={x0}:{y0}:{x1 - x0}:{y1 - y0}:white@0.85:t={thickness}")
    return "," + ",".join(out)


def _zoomed(look: Look, pic: Picture, size: tuple[int, int], frames: int, offset: int = 0,
            converted: bool = False) -> str:
    """Per frame, the view of the moment cut from the canvas and scaled to the frame (zoompan):
    eased in over `look.ease` frames from the first, held, eased out to the last. The canvas is
    4:4:4 so the cut moves by single canvas pixels (4:2:0 would round it to even ones), and the
    canvas holds the picture at its own resolution, or at what the deepest zoom shows one to one
    where that is less (`canvas_size`): a step of the cut is about a pixel of the frame at most,
    and the motion has no visible steps (tests/previews/test_effects.py follows an edge)."""
    assert look.zoom is not None
    cw, _ = size
    z = _in_canvas(look, look.zoom, size)
    n = f"(on+{offset})" if offset else "on"  # the body's frame number: a part may start later
    u = f"max(0,min(1,min({n}/{look.ease},({frames - 1}-{n})/{look.ease})))"
    p = f"({u}*{u}*(3-2*{u}))"  # smoothstep: no jolt where the motion starts or stops
    convert = "" if converted else "format=yuv444p,"
    return (f"{convert}zoompan=z='{cw}/({cw}+({z.w:.3f}-{cw})*{p})':x='{z.x:.3f}*{p}':y='{z.y:.3f}*{p}'"
            f":d=1:s={pic.width}x{pic.height}:fps={pic.fps},setpts=N/{pic.fps}/TB,setsar=1,{COLOURED}")


def _ring(graph: _Graph, pic: Picture, i: int, stream: str, size: tuple[int, int]) -> str:
    scene, look = pic.scenes[i], pic.scenes[i].look
    if scene.ring is None or look is None or look.click is None:
        return stream
    diameter = _even(min(pic.width, pic.height) * RING_SHARE * size[0] / pic.width)
    point = _in_canvas(look, Box(look.click[0], look.click[1], 0, 0), size)
    n = graph.add_input(["-f", "image2", "-i", str(scene.ring)])
    ring = graph.chain(f"{n}:v", f"scale={diameter}:{diameter},format=rgba", "r")
    out = graph.label("k")
    graph.chains.append(f"[{stream}][{ring}]overlay={round(point.x - diameter / 2)}:{round(point.y - diameter / 2)}"
                        f":format=auto,{COLOURED}[{out}]")
    return out


def _clicked_still(graph: _Graph, pic: Picture, i: int, canvas: str, size: tuple[int, int], frames: int) -> str:
    """A still without a zoom: its one frame repeated; with a click ring, the ring appears after
    the first EASE_SECONDS (or a third of a short step), so the viewer sees where it lands."""
    fps = pic.fps
    lead = ease_frames(fps, frames) if pic.scenes[i].ring and pic.scenes[i].look.click else 0
    if not lead:
        shown = _ring(graph, pic, i, canvas, size)
        return graph.chain(_captioned(graph, pic, i, shown), _span_filter(pic, True, 0, frames), "p")
    before, after = graph.split(canvas, 2)
    after = _ring(graph, pic, i, after, size)
    outs = [graph.chain(_captioned(graph, pic, i, stream), f"loop=loop={count - 1}:size=1:start=0,setpts=N/{fps}/TB",
                        "p") for stream, count in ((before, lead), (after, frames - lead))]
    return _joined(graph, outs, fps)


def _zoomed_still(graph: _Graph, pic: Picture, i: int, canvas: str, size: tuple[int, int], frames: int) -> str:
    """A still's zoom in three parts: the ease in and the ease out zoomed frame by frame, the hold
    between them zoomed (and captioned) once and repeated, as a plain still is: the hold is most of
    a step, and the same frame made again for each of its frames would cost as much as the eases."""
    look, ease, fps = pic.scenes[i].look, pic.scenes[i].look.ease, pic.fps
    parts = [(n, start, held) for n, start, held in
             ((ease, 0, False), (frames - 2 * ease, ease, True), (ease, frames - ease, False)) if n > 0]
    outs = []
    full = graph.chain(canvas, "format=yuv444p", "f")  # once, not on each repeated frame
    for (count, start, held), stream in zip(parts, graph.split(full, len(parts)), strict=True):
        repeat = f"loop=loop={count - 1}:size=1:start=0,setpts=N/{fps}/TB"
        zoom = _zoomed(look, pic, size, frames, start, converted=True)
        if held:  # the click ring shows once the zoom has settled on its region (drawn in 4:2:0: convert again)
            ringed = _ring(graph, pic, i, stream, size)
            one = _captioned(graph, pic, i, graph.chain(ringed, _zoomed(look, pic, size, frames, start), "z"))
            outs.append(graph.chain(one, repeat, "p"))
        else:
            moving = graph.chain(stream, f"{repeat},{zoom}", "z")
            outs.append(_captioned(graph, pic, i, moving))
    return _joined(graph, outs, fps)


def _looked(graph: _Graph, pic: Picture, i: int, spans: list[tuple[str, int, int]]) -> dict[tuple[str, int], str]:
    """Scene i's parts with its look. The picture is redacted first; transitions show the plain
    view (the body's first and last frame), only the body shows the highlight, ring and zoom, so
    changing those renders the body alone."""
    scene, look = pic.scenes[i], pic.scenes[i].look
    assert look is not None
    seconds = f"{scene.frames / pic.fps:.6f}"
    if scene.still:
        n = graph.add_input(["-f", scene.source.demuxer, "-framerate", str(pic.fps), "-i", str(scene.source.path)])
        pre, post = "", ""
    else:
        n = graph.add_input(["-f", scene.source.demuxer, "-t", seconds, "-i", str(scene.source.path)])
        pre, post = f"fps={pic.fps},", f",tpad=stop_mode=clone:stop_duration={seconds}"
    plain = [s for s in spans if s[0] != "body"]
    body = [s for s in spans if s[0] == "body"]
    source = graph.chain(f"{n}:v", f"{pre}format=gbrp", "g")
    for filters, x, y in _redacted(look):
        whole, cut = graph.split(source, 2)
        blurred = graph.chain(cut, filters, "b")
        out = graph.label("g")
        graph.chains.append(f"[{whole}][{blurred}]overlay={x}:{y}:format=gbrp[{out}]")
        source = out
    streams = graph.split(source, (1 if plain else 0) + (1 if body else 0))
    parts: dict[tuple[str, int], str] = {}
    if plain:
        fitted = _viewed(look, (pic.width, pic.height)) if look.reframes else fit_filter(pic)
        shown = graph.chain(streams[-1], fitted + post, "f")
        for (part, first, frames), stream in zip(plain, graph.split(shown, len(plain)), strict=True):
            parts[(part, i)] = graph.chain(stream, _span_filter(pic, scene.still, first, frames), "p")
    if body:
        (_, first, frames), size = body[0], canvas_size(pic, look)
        canvas = graph.chain(streams[0], _viewed(look, size) + _highlighted(look, pic, size) + post, "f")
        if not scene.still:  # a recording: the ring throughout
            canvas = _ring(graph, pic, i, canvas, size)
        if look.zoom is None and scene.still:
            shown = _clicked_still(graph, pic, i, canvas, size, frames)
        elif look.zoom is None:
            shown = graph.chain(_captioned(graph, pic, i, canvas), _span_filter(pic, scene.still, first, frames), "p")
        elif scene.still:
            shown = _zoomed_still(graph, pic, i, canvas, size, frames)
        else:
            spanned = graph.chain(canvas, _span_filter(pic, scene.still, first, frames), "p")
            shown = _captioned(graph, pic, i, graph.chain(spanned, _zoomed(look, pic, size, frames), "z"))
        parts[("body", i)] = shown
    return parts


def _segment_streams(graph: _Graph, pic: Picture, wanted: list[Segment]) -> dict[Segment, str]:
    wanted_set = set(wanted)
    indexes = sorted({i for seg in wanted for i in seg.scenes()})
    sources = _scene_sources(graph, pic, indexes)
    parts: dict[tuple[str, int], str] = {}
    for i in indexes:
        spans = _spans(pic, i, wanted_set)
        if pic.scenes[i].look is not None:
            parts.update(_looked(graph, pic, i, spans))
            continue
        streams = graph.split(sources[i], len(spans))
        for (part, first, frames), stream in zip(spans, streams, strict=True):
            # the caption is drawn on the scene's settled frames only: a transition blends the
            # pictures, not two captions into one smudge (and a caption edit leaves it alone)
            shown = _captioned(graph, pic, i, stream) if part == "body" else stream
            parts[(part, i)] = graph.chain(shown, _span_filter(pic, pic.scenes[i].still, first, frames), "p")
    out = {}
    for seg in wanted:
        if seg.kind == "body":
            out[seg] = parts[("body", seg.index)]
        else:
            scene = pic.scenes[seg.index]
            label = graph.label("x")
            graph.chains.append(
                f"[{parts[('tail', seg.index)]}][{parts[('head', seg.index + 1)]}]xfade=transition={scene.xfade}"
                f":duration={scene.tail / pic.fps:.6f}:offset=0[{label}]"
            )
            out[seg] = _branded(graph, pic, label)  # over the blend: the logo holds still through it
    return out


def _joined(graph: _Graph, streams: list[str], fps: int) -> str:
    if len(streams) == 1:
        return streams[0]
    out = graph.label("v")
    # concat starts a segment where the previous one's last frame *starts* when that frame has no
    # duration (a one-frame transition): two frames would share a timestamp and the encoder's
    # constant frame rate would drop one. Every frame is numbered again instead.
    graph.chains.append(f"{''.join(f'[{s}]' for s in streams)}concat=n={len(streams)}:v=1:a=0,"
                        f"setpts=N/{fps}/TB[{out}]")
    return out


# H.264 levels (Table A-1): (level, most macroblocks a second, most macroblocks a frame).
H264_LEVELS = ((30, 40_500, 1_620), (31, 108_000, 3_600), (32, 216_000, 5_120), (40, 245_760, 8_192),
               (42, 522_240, 8_704), (50, 589_824, 22_080), (51, 983_040, 36_864), (52, 2_073_600, 36_864))
H264_PROFILE = "high"
# Every stream's header says the same whatever made it: BT.709 limited range (what `_fit` converts
# to) with MPEG-2 chroma siting, square pixels (`setsar=1`), High profile, the level of the
# picture's size and rate, and a track time scale of 512 ticks a frame. Left to themselves, FFmpeg
# builds write different headers for the same pictures (FFmpeg 5.1 marks a JPEG's chroma as centred
# and a PNG's not at all; FFmpeg 9 ignores the colour options and writes what the frames say), and
# pieces from different builds, machines or kinds of source would not join.
COLOUR = ["-color_range", "tv", "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709",
          "-chroma_sample_location", "left"]
TICKS_PER_FRAME = 512


def h264_level(width: int, height: int, fps: int) -> int:
    """The lowest level (times ten: 31 is 3.1) whose limits hold this picture size and rate."""
    per_frame = math.ceil(width / 16) * math.ceil(height / 16)
    for level, per_second, most in H264_LEVELS:
        if per_frame <= most and per_frame * fps <= per_second:
            return level
    return H264_LEVELS[-1][0]


def video_codec(pic: Picture) -> list[str]:
    gop = ["-g", str(pic.gop)] if pic.gop else []
    level = h264_level(pic.width, pic.height, pic.fps)
    threads = ["-threads", str(pic.threads)] if pic.threads else []
    return ["-c:v", "libx264", "-preset", pic.preset, "-crf", str(pic.crf), *gop, *threads, "-pix_fmt", "yuv420p",
            "-r", str(pic.fps), "-profile:v", H264_PROFILE, "-level:v", f"{level // 10}.{level % 10}", *COLOUR,
            "-video_track_timescale", str(pic.fps * TICKS_PER_FRAME)]


def _filter_threads(pic: Picture) -> list[str]:
    return ["-filter_complex_threads", str(pic.threads)] if pic.threads else []


def pieces_args(pic: Picture, pieces: Sequence[tuple[Sequence[Segment], Path]]) -> list[str]:
    """One process, one video-only MP4 per piece; a piece is a run of consecutive segments."""
    graph = _Graph()
    streams = _segment_streams(graph, pic, [seg for segs, _ in pieces for seg in segs])
    outputs: list[str] = []
    for segs, path in pieces:
        label = _joined(graph, [streams[s] for s in segs], pic.fps)
        outputs += ["-map", f"[{label}]", *video_codec(pic), "-an", "-f", "mp4", str(path)]
    return [*_filter_threads(pic), *graph.inputs, *graph.filter_args(), *outputs]


# --- sound ----------------------------------------------------------------------------------

def _layout(channels: int) -> str:
    return "mono" if channels == 1 else "stereo"


def _loops(duration: float, music: Media) -> int:
    """Repeats of the music needed to cover the track: an endless loop (-1) keeps FFmpeg
    decoding and resampling the track well past the end."""
    return max(0, math.ceil(duration / music.duration) - 1) if music.duration else -1


def _audio_sources(graph: _Graph, tracks: Sequence[Track]) -> dict[tuple[int, int], str]:
    """A stream per (track, clip); a file on several tracks is one input split."""
    uses: dict[Path, list[tuple[int, int]]] = {}
    media: dict[Path, Media] = {}
    for t, track in enumerate(tracks):
        for c, clip in enumerate(() if track.premixed else track.clips):
            uses.setdefault(clip.media.path, []).append((t, c))
            media[clip.media.path] = clip.media
    out = {}
    for path, users in uses.items():
        n = graph.add_input(["-f", media[path].demuxer, "-i", str(path)])
        out.update(zip(users, graph.split(f"{n}:a", len(users), audio=True), strict=True))
    return out


def _voice(graph: _Graph, track: Track, sources: dict[tuple[int, int], str], t: int) -> str | None:
    """The clips of a track at their places, exactly `track.samples` long; None without clips."""
    if not track.clips:
        return None
    rate, total = track.rate, track.samples
    fmt = f"aformat=sample_rates={rate}:channel_layouts={_layout(track.channels)}"
    order = sorted(range(len(track.clips)), key=lambda c: track.clips[c].start)
    starts = [round(track.clips[c].start * rate) for c in order]
    ends = [*starts[1:], total]
    lengths = [round((track.clips[c].media.duration or 0) * rate) for c in order]
    overlap = any(start + length > end for start, length, end in zip(starts, lengths, ends, strict=True))
    placed = []
    for k, c in enumerate(order):
        gain_db = track.clips[c].gain_db
        gain = f",volume={gain_db:.2f}dB" + (f",{LIMITER}" if gain_db > 0 else "") if gain_db else ""
        if overlap:  # each clip delayed to its start and mixed
            placed.append(graph.chain(sources[(t, c)], f"{fmt}{gain},adelay=delays={starts[k]}S:all=1", "n"))
        else:  # each clip fills its slot up to the next one: the slots concatenate to the track
            lead = f",adelay=delays={starts[k]}S:all=1" if k == 0 and starts[0] else ""
            slot = ends[k] - (0 if k == 0 else starts[k])
            placed.append(graph.chain(sources[(t, c)], f"{fmt}{gain}{lead},atrim=end_sample={slot},"
                                      f"apad=whole_len={slot}", "n"))
    if overlap:
        mixed = graph.label("m")
        graph.chains.append(f"{''.join(f'[{p}]' for p in placed)}amix=inputs={len(placed)}:duration=longest"
                            f":normalize=0[{mixed}]")
        return graph.chain(mixed, f"apad=whole_len={total},atrim=end_sample={total}", "n")
    if len(placed) == 1:
        return placed[0]
    joined = graph.label("m")
    graph.chains.append(f"{''.join(f'[{p}]' for p in placed)}concat=n={len(placed)}:v=0:a=1[{joined}]")
    return joined


def _track(graph: _Graph, track: Track, sources: dict[tuple[int, int], str], t: int) -> str:
    total, layout = track.samples, _layout(track.channels)
    fmt = f"aformat=sample_rates={track.rate}:channel_layouts={layout}"
    voice = _voice(graph, track, sources, t)
    if track.music is None:
        return voice if voice is not None else _silence(graph, track)  # nothing to hear: silence
    n = graph.add_input(["-f", track.music.demuxer, "-stream_loop", str(_loops(track.duration, track.music)),
                         "-i", str(track.music.path)])
    music = graph.chain(f"{n}:a", f"{fmt},volume={track.music_volume},apad=whole_len={total},"
                        f"atrim=end_sample={total}", "u")
    if voice is None:
        return music
    voice, side = graph.split(voice, 2, audio=True)
    ducked = graph.label("d")
    graph.chains.append(f"[{music}][{side}]sidechaincompress=threshold=0.02:ratio=8:attack=20:release=400[{ducked}]")
    out = graph.label("a")
    graph.chains.append(f"[{voice}][{ducked}]amix=inputs=2:duration=first:normalize=0[{out}]")
    return out


def _silence(graph: _Graph, track: Track) -> str:
    out = graph.label("a")
    graph.chains.append(f"anullsrc=r={track.rate}:cl={_layout(track.channels)},"
                        f"atrim=end_sample={track.samples}[{out}]")
    return out


def _audio_outputs(graph: _Graph, tracks: Sequence[Track]) -> list[str]:
    sources = _audio_sources(graph, tracks)
    args: list[str] = []
    for t, track in enumerate(tracks):
        if track.premixed is not None:
            stream = f"{graph.add_input(['-f', track.premixed.demuxer, '-i', str(track.premixed.path)])}:a:0"
        else:
            stream = f"[{_track(graph, track, sources, t)}]"
        args += ["-map", stream, f"-c:a:{t}", *AAC, f"-b:a:{t}", AAC_BITRATE[track.channels],
                 f"-ar:a:{t}", str(track.rate), f"-ac:a:{t}", str(track.channels), *_tagged(t, track.language)]
    return args


def _tagged(t: int, language: str) -> list[str]:
    tag = [f"-metadata:s:a:{t}", f"language={language}"] if language else []
    return [*tag, f"-disposition:a:{t}", "default" if t == 0 else "0"]


def tracks_args(tracks: Sequence[Track], out_paths: Sequence[Path]) -> list[str]:
    """Several audio tracks, each encoded into its own M4A, in one process (a video caches them
    by content: a picture-only edit encodes no sound again)."""
    graph = _Graph()
    sources = _audio_sources(graph, tracks)
    outputs: list[str] = []
    for t, (track, path) in enumerate(zip(tracks, out_paths, strict=True)):
        if track.premixed is not None:
            stream = f"{graph.add_input(['-f', track.premixed.demuxer, '-i', str(track.premixed.path)])}:a:0"
        else:
            stream = f"[{_track(graph, track, sources, t)}]"
        outputs += ["-map", stream, "-c:a", *AAC, "-b:a", AAC_BITRATE[track.channels], "-ar", str(track.rate),
                    "-ac", str(track.channels), "-f", "mp4", str(path)]
    return [*graph.inputs, *graph.filter_args(), *outputs]


def _subtitle_outputs(graph: _Graph, subtitles: Sequence[tuple[Path, str]]) -> list[str]:
    args: list[str] = []
    for s, (path, language) in enumerate(subtitles):
        n = graph.add_input(["-f", "srt", "-i", str(path)])
        args += ["-map", f"{n}:s:0", f"-c:s:{s}", "mov_text", f"-metadata:s:s:{s}", f"language={language}"]
    return args


def single_args(pic: Picture, tracks: Sequence[Track], out_path: Path) -> list[str]:
    """The whole picture and its sound in one process and one encoder: the shape of a
    hand-written command, for outputs too small to gain from cached pieces."""
    graph = _Graph()
    streams = _segment_streams(graph, pic, pic.segments())
    video = _joined(graph, [streams[s] for s in pic.segments()], pic.fps)
    audio = _audio_outputs(graph, tracks)
    duration = pic.total_frames / pic.fps
    return [*_filter_threads(pic), *graph.inputs, *graph.filter_args(), "-map", f"[{video}]", *video_codec(pic), *audio,
            "-movflags", "+faststart", "-t", f"{duration:.6f}", "-f", "mp4", str(out_path)]


def assemble_args(
    *, video: Path, duration: float, tracks: Sequence[Track] = (), subtitles: Sequence[tuple[Path, str]] = (),
    encoded: Sequence[tuple[Path, str]] = (), out_path: Path,
) -> list[str]:
    """The joined pieces' video copied, every audio track made and encoded (or, `encoded`, M4A
    tracks copied with their language), subtitle tracks added: the finished MP4 in one process."""
    graph = _Graph()
    graph.add_input(["-f", "mp4", "-i", str(video)])
    audio = _audio_outputs(graph, tracks)
    for t, (path, language) in enumerate(encoded):
        n = graph.add_input(["-f", "mp4", "-i", str(path)])
        audio += ["-map", f"{n}:a:0", f"-c:a:{t}", "copy", *_tagged(t, language)]
    subs = _subtitle_outputs(graph, subtitles)
    return [*graph.inputs, *graph.filter_args(), "-map", "0:v:0", "-c:v", "copy", *audio, *subs,
            "-movflags", "+faststart", "-t", f"{duration:.6f}", "-f", "mp4", str(out_path)]


# --- packaging ------------------------------------------------------------------------------

def hls_args(*, source: Path, audio_names: Sequence[str], segment_seconds: int, out_dir: Path) -> list[str]:
    """Every HLS media playlist (the video and one per audio track) cut from `source` in one
    process without re-encoding; one muxer clock keeps audio and video aligned."""
    maps = ["-map", "0:v:0"]
    streams = ["v:0,name:video"]
    for i, name in enumerate(audio_names):
        maps += ["-map", f"0:a:{i}"]
        streams.append(f"a:{i},name:{name}")
    # The AAC encoder's priming packet sits before time zero, hidden by the MP4's edit list;
    # MPEG-TS has no edit list, so it would make every audio rendition start 1024 samples
    # (46 ms at 22.05 kHz) before the video. It is dropped (its samples are never heard).
    # The source is always an MP4 (a render, or one checked by an import): the demuxer is forced,
    # so a file that merely claims to be one is never read as a playlist or anything else.
    return ["-f", "mp4", "-i", str(source), *maps, "-c", "copy", "-bsf:a", r"noise=drop=lt(pts\,0)", "-f", "hls",
            "-hls_time", str(segment_seconds),
            "-hls_playlist_type", "vod", "-var_stream_map", " ".join(streams),
            "-hls_segment_filename", str(out_dir / "%v" / "seg%03d.ts"), str(out_dir / "%v" / "index.m3u8")]


def loudness_args(paths: Sequence[Media]) -> list[str]:
    """Measure the integrated loudness and sample peak of several files in one process; each
    input's ebur128 summary appears in stderr in input order."""
    graph, maps = _Graph(), []
    for media in paths:
        n = graph.add_input(["-f", media.demuxer, "-i", str(media.path)])
        graph.chains.append(f"[{n}:a]ebur128=peak=sample[m{n}]")
        maps += ["-map", f"[m{n}]"]
    return [*graph.inputs, *graph.filter_args(), *maps, "-f", "null", "-"]


RECORDED_RATE = 48000  # a recorded narration is said at this rate (8 kHz phone audio and 192 kHz studio audio alike)


def speech_wav_args(media: Media, out_path: Path, *, start: float | None = None, end: float | None = None
                    ) -> list[str]:
    """A recording's first audio track (or its part from `start` to `end`) as mono 16-bit PCM at
    RECORDED_RATE: the form every spoken clip takes before its loudness is set."""
    window = [*(["-ss", f"{start:.3f}"] if start else []), *(["-to", f"{end:.3f}"] if end is not None else [])]
    return ["-f", media.demuxer, *window, "-i", str(media.path), "-map", "0:a:0", "-vn", "-ac", "1",
            "-ar", str(RECORDED_RATE), "-c:a", "pcm_s16le", "-f", "wav", str(out_path)]


def scene_changes_args(media: Media, *, threshold: float) -> list[str]:
    """Where the picture changes: each frame whose scene score passes `threshold` is printed by
    `showinfo` (its `pts_time`) on stderr. Scored on a small copy: a cut shows at any size."""
    return ["-f", media.demuxer, "-i", str(media.path), "-map", "0:v:0", "-an",
            "-vf", f"scale=160:-2,select='gt(scene\\,{threshold})',showinfo", "-f", "null", "-"]


def clip_args(media: Media, out_path: Path, *, start: float, end: float, picture: bool) -> list[str]:
    """The part of a recording from `start` to `end` as an MP4 of its own (H.264 + AAC, or AAC alone
    for a sound recording): re-encoded, so the cut falls on the exact frame, not the keyframe before."""
    video = ["-map", "0:v:0", "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p"] \
        if picture else ["-vn"]
    return ["-ss", f"{start:.3f}", "-to", f"{end:.3f}", "-f", media.demuxer, "-i", str(media.path), *video,
            "-map", "0:a:0", "-c:a", "aac", "-b:a", "160k", "-movflags", "+faststart", "-f", "mp4", str(out_path)]
