"""Emphasis on the screenshot (issue 20.3): effects in the timeline contract, their piece keys, and
what real FFmpeg draws, measured in pixels."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import av
import numpy as np
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from contentizer import effects
from contentizer.effects import Effects, EffectsError
from contentizer.media import compose, ffmpeg, framing, probe
from previews import cards
from previews.timeline import Timeline, TimelineError, schema

SOURCE = (1280, 720)
RED, GREEN, BLUE, YELLOW = (220, 40, 40), (40, 180, 60), (40, 60, 220), (230, 210, 40)
MAGENTA = (255, 0, 255)
WIDE = {"x": 0.5, "y": 0.2, "w": 0.4, "h": 0.15}  # wider than 16:9: it can fill the frame's width


# --- pictures and renders -------------------------------------------------------------------

def _quadrants(path: Path, outline: dict | None = None) -> Path:
    """Four coloured quadrants; `outline` (fractions) drawn as a 4 px magenta frame."""
    image = Image.new("RGB", SOURCE)
    draw = ImageDraw.Draw(image)
    w, h = SOURCE
    for (x, y), colour in zip([(0, 0), (w // 2, 0), (0, h // 2), (w // 2, h // 2)], [RED, GREEN, BLUE, YELLOW],
                              strict=True):
        draw.rectangle((x, y, x + w // 2 - 1, y + h // 2 - 1), fill=colour)
    if outline:
        box = (outline["x"] * w, outline["y"] * h, (outline["x"] + outline["w"]) * w - 1,
               (outline["y"] + outline["h"]) * h - 1)
        draw.rectangle(box, outline=MAGENTA, width=4)
    image.save(path)
    return path


def _noise(path: Path) -> Path:
    """Fine detail everywhere (like small text): every pixel random grey."""
    rng = np.random.default_rng(7)
    Image.fromarray(rng.integers(0, 256, (SOURCE[1], SOURCE[0]), dtype=np.uint8)).convert("RGB").save(path)
    return path


def _grey(path: Path) -> Path:
    Image.new("RGB", SOURCE, (128, 128, 128)).save(path)
    return path


def _render(tmp_path: Path, source: Path, fx: dict, *, size=(640, 360), frames=40, fps=20,
            ring: bool = False) -> list[np.ndarray]:
    """One still scene's body with `fx`, through compose's graph and real FFmpeg; every frame."""
    look = framing.look_for(effects.parse(fx), size=SOURCE, width=size[0], height=size[1], fps=fps,
                            body_frames=frames)
    ring_path = cards.click_ring(tmp_path / "ring.png") if ring else None
    scene = compose.Scene(source=compose.Media(source, "image2"), still=True, frames=frames,
                          look=look if look.shows else None, ring=ring_path)
    pic = compose.Picture(width=size[0], height=size[1], fps=fps, scenes=(scene,), preset="ultrafast", crf=12)
    out = tmp_path / f"out-{len(list(tmp_path.iterdir()))}.mp4"
    ffmpeg.run(compose.pieces_args(pic, [([compose.Segment("body", 0)], out)]), timeout=120)
    with av.open(str(out)) as container:
        return [f.to_ndarray(format="rgb24").astype(float) for f in container.decode(container.streams.video[0])]


def _near(pixel: np.ndarray, colour: tuple[int, int, int], tolerance: float = 40) -> bool:
    return bool(np.all(np.abs(pixel - np.array(colour)) <= tolerance))


def _magenta_columns(frame: np.ndarray) -> np.ndarray:
    mask = (frame[..., 0] > 180) & (frame[..., 1] < 90) & (frame[..., 2] > 180)
    return np.nonzero(mask.sum(axis=0) > frame.shape[0] * 0.05)[0]


# --- the contract ---------------------------------------------------------------------------

def test_effects_parse_to_a_canonical_value():
    parsed = effects.parse({"focus": {"x": 0.1, "y": 0.2, "w": 0.3, "h": 0.123456}, "highlight": True,
                            "blur": [{"x": 0, "y": 0, "w": 1, "h": 0.1}], "click": {"x": 0.5, "y": 0.5}})
    assert parsed.focus.h == 0.1235 and parsed.highlight and not parsed.zoom
    assert effects.parse(parsed.to_json()) == parsed
    assert effects.parse({}) == Effects() and Effects().to_json() == {} and not Effects()


@pytest.mark.parametrize(("given", "path"), [
    ({"focus": {"x": 0.8, "y": 0.1, "w": 0.3, "h": 0.2}}, "effects.focus.w"),  # past the right edge
    ({"focus": {"x": 0.1, "y": 0.1, "w": 0, "h": 0.2}}, "effects.focus.w"),  # empty
    ({"focus": {"x": -0.1, "y": 0.1, "w": 0.2, "h": 0.2}}, "effects.focus.x"),
    ({"focus": {"x": 0.1, "y": 0.1, "w": 0.2}}, "effects.focus.h"),
    ({"focus": {"x": "a", "y": 0.1, "w": 0.2, "h": 0.2}}, "effects.focus.x"),
    ({"focus": {"x": True, "y": 0.1, "w": 0.2, "h": 0.2}}, "effects.focus.x"),
    ({"zoom": True}, "effects.zoom"),  # no focus to zoom into
    ({"highlight": "yes", "focus": {"x": 0, "y": 0, "w": 0.5, "h": 0.5}}, "effects.highlight"),
    ({"blur": [{"x": 0.5, "y": 0.95, "w": 0.2, "h": 0.1}]}, "effects.blur[0].h"),
    ({"blur": [{"x": 0, "y": 0, "w": 0.1, "h": 0.1}] * 11}, "effects.blur"),
    ({"click": {"x": 1.5, "y": 0.5}}, "effects.click.x"),
    ({"sparkle": True}, "effects.sparkle"),
])
def test_bad_effects_are_refused_naming_the_field(given, path):
    with pytest.raises(EffectsError) as caught:
        effects.parse(given)
    assert path in caught.value.problems, caught.value.problems


def test_the_schema_takes_its_limits_from_the_one_definition():
    defs = schema()["$defs"]
    assert defs["effects"]["properties"]["blur"]["maxItems"] == effects.MAX_BLUR_REGIONS
    assert set(defs["effects"]["properties"]) == set(effects.KEYS)
    assert set(defs["region"]["required"]) == set(effects.REGION_KEYS)


def _timeline(version: int, fx: dict | None = None, *, scene_type: str = "image") -> dict:
    scene = {"type": scene_type, "duration": 2, **({"asset": "a" * 64} if scene_type == "image" else {})}
    second = {**scene, "asset": "b" * 64} if scene_type == "image" else scene
    first = {**scene, "transition": {"type": "dissolve", "duration": 0.5}}
    if fx is not None:
        first["effects"] = fx
    return {"version": version, "output": {"width": 128, "height": 72, "fps": 10}, "scenes": [first, second]}


def test_a_version_1_timeline_parses_and_keys_as_before():
    old = Timeline.parse(_timeline(1))
    assert old.version == 1 and "effects" not in old.to_dict()["scenes"][0]
    assert Timeline.parse(old.to_dict()).cache_key() == old.cache_key()


def test_a_version_1_timeline_cannot_carry_effects():
    with pytest.raises(TimelineError) as caught:
        Timeline.parse(_timeline(1, {"click": {"x": 0.5, "y": 0.5}}))
    assert "scenes[0].effects" in caught.value.problems


def test_version_2_effects_round_trip_and_are_checked_beyond_the_schema():
    fx = {"focus": {"x": 0.1, "y": 0.1, "w": 0.5, "h": 0.5}, "zoom": True}
    timeline = Timeline.parse(_timeline(2, fx))
    assert timeline.scenes[0].effects.zoom and Timeline.parse(timeline.to_dict()) == timeline
    with pytest.raises(TimelineError) as caught:
        Timeline.parse(_timeline(2, {"focus": {"x": 0.7, "y": 0.1, "w": 0.5, "h": 0.5}}))
    assert "scenes[0].effects.focus.w" in caught.value.problems
    with pytest.raises(TimelineError) as caught:
        Timeline.parse(_timeline(2, {"click": {"x": 0.5, "y": 0.5}}, scene_type="title"))
    assert "scenes[0].effects" in caught.value.problems


def _keys(tmp_path, monkeypatch, fx: dict | None, version: int = 2, name: str = "") -> list[str]:
    from contentizer.jobs.runner import JobContext
    from previews.render import Render

    monkeypatch.setattr(Render, "_blob", lambda self, sha256, i, where="": SimpleNamespace(
        ext="png", width=1280, height=720))
    render = Render(JobContext(job=None, work_dir=tmp_path), Timeline.parse(_timeline(version, fx)), [], timeout=10,
                    workspace=name or f"w{len(list(tmp_path.iterdir()))}")
    return [piece.key for piece in render.pieces()]


def test_a_scene_without_effects_keeps_its_piece_keys(tmp_path, monkeypatch):
    assert _keys(tmp_path, monkeypatch, None, version=1) == _keys(tmp_path, monkeypatch, None, version=2)
    assert _keys(tmp_path, monkeypatch, {}) == _keys(tmp_path, monkeypatch, None)


def test_highlight_zoom_and_click_rerender_only_the_steps_body(tmp_path, monkeypatch):
    plain = _keys(tmp_path, monkeypatch, None)
    focus = {"x": 0.1, "y": 0.1, "w": 0.5, "h": 0.5}
    for fx in ({"focus": focus, "highlight": True}, {"focus": focus, "zoom": True}, {"click": {"x": 0.2, "y": 0.3}}):
        keys = _keys(tmp_path, monkeypatch, fx)
        assert keys[0] != plain[0] and keys[1:] == plain[1:], fx  # body 0 changes; the fade and body 1 do not
    other = _keys(tmp_path, monkeypatch, {"focus": focus, "highlight": True, "zoom": True})
    assert other[0] != _keys(tmp_path, monkeypatch, {"focus": focus, "highlight": True})[0]


def test_a_blur_rerenders_the_body_and_its_transitions_too(tmp_path, monkeypatch):
    """A redaction must hold in the cross-fade as well: the fade is another piece; the next
    step's body is not."""
    plain = _keys(tmp_path, monkeypatch, None)
    keys = _keys(tmp_path, monkeypatch, {"blur": [{"x": 0.1, "y": 0.1, "w": 0.2, "h": 0.05}]})
    assert keys[0] != plain[0] and keys[1] != plain[1] and keys[2] == plain[2]


# --- geometry -------------------------------------------------------------------------------

def test_a_portrait_frame_shows_the_focus_across_its_width():
    look = framing.look_for(effects.parse({"focus": WIDE}), size=SOURCE, width=360, height=640, fps=20,
                            body_frames=40)
    region_width = WIDE["w"] * SOURCE[0]
    assert look.reframes and region_width / look.view.w > 0.9
    landscape = framing.look_for(effects.parse({"focus": WIDE}), size=SOURCE, width=640, height=360, fps=20,
                                 body_frames=40)
    assert not landscape.shows, "a focus alone changes nothing in a landscape frame"


# --- pixels ---------------------------------------------------------------------------------

def test_a_zoom_fills_the_frame_with_the_focus_at_the_middle_of_the_step(tmp_path):
    source = _quadrants(tmp_path / "q.png", outline=WIDE)
    frames = _render(tmp_path, source, {"focus": WIDE, "zoom": True})
    first, middle, last = frames[0], frames[len(frames) // 2], frames[-1]
    columns = _magenta_columns(middle)
    assert columns.min() < 640 * 0.06 and columns.max() > 640 * 0.94, "the region spans the frame's width"
    look = framing.look_for(effects.parse({"focus": WIDE, "zoom": True}), size=SOURCE, width=640, height=360,
                            fps=20, body_frames=40)
    z = look.zoom
    expected = np.asarray(Image.open(source).convert("RGB").resize(
        (640, 360), Image.Resampling.BICUBIC, box=(z.x, z.y, z.x + z.w, z.y + z.h))).astype(float)
    assert np.abs(middle - expected).mean() < 6, "the middle frame is the source's region, scaled"
    unzoomed = np.asarray(Image.open(source).convert("RGB").resize((640, 360))).astype(float)
    assert np.abs(first - unzoomed).mean() < 6 and np.abs(last - unzoomed).mean() < 6, "it starts and ends whole"


def test_a_zoom_moves_smoothly_one_way_in_and_back(tmp_path):
    """The red/green edge of the quadrants moves left as the zoom eases in and back as it eases
    out: never backwards, never by a jump."""
    frames = _render(tmp_path, _quadrants(tmp_path / "q.png"), {"focus": WIDE, "zoom": True})
    row = 40  # in the red/green half throughout
    edges = [int(np.argmax(f[row, :, 1] > 110)) for f in frames]  # the first green column
    ease = effects.ease_frames(20, 40)
    going_in, coming_out = edges[: ease + 1], edges[-ease - 1:]
    assert all(b <= a for a, b in zip(going_in, going_in[1:], strict=False)), going_in
    assert all(b >= a for a, b in zip(coming_out, coming_out[1:], strict=False)), coming_out
    steps = np.abs(np.diff(edges))
    assert steps.max() < 640 * 0.2 and len(set(edges[ease: -ease])) <= 2, edges  # held still between the eases


def test_a_blur_leaves_no_detail_in_its_region_and_all_outside(tmp_path):
    source = _noise(tmp_path / "n.png")
    region = {"x": 0.25, "y": 0.25, "w": 0.3, "h": 0.1}
    sharp = _render(tmp_path, source, {}, frames=4)[1]
    blurred = _render(tmp_path, source, {"blur": [region]}, frames=4)[1]
    inside = np.s_[int(0.26 * 360): int(0.34 * 360), int(0.26 * 640): int(0.54 * 640)]
    outside = np.s_[int(0.5 * 360): int(0.9 * 360), int(0.05 * 640): int(0.9 * 640)]
    assert sharp[inside].var() > 40 * blurred[inside].var(), (sharp[inside].var(), blurred[inside].var())
    assert abs(sharp[outside].var() - blurred[outside].var()) < 0.05 * sharp[outside].var()


def test_a_zoom_cannot_undo_a_blur(tmp_path):
    source = _noise(tmp_path / "n.png")
    region = {"x": 0.3, "y": 0.3, "w": 0.4, "h": 0.2}
    frames = _render(tmp_path, source, {"focus": region, "zoom": True, "blur": [region]})
    middle = frames[len(frames) // 2]
    assert middle[110:250, 40:600].var() < 30, "the zoomed region is as smooth as the blur left it"


def test_a_highlight_darkens_outside_the_focus_only(tmp_path):
    region = {"x": 0.25, "y": 0.25, "w": 0.5, "h": 0.5}
    frame = _render(tmp_path, _grey(tmp_path / "g.png"), {"focus": region, "highlight": True}, frames=4)[1]
    inside, outside = frame[130:230, 200:440].mean(), frame[10:60, 10:600].mean()
    assert abs(inside - 128) < 6, inside
    assert abs(outside - 128 * (1 - effects.DIM_OPACITY)) < 8, outside


def _orange(frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.nonzero((frame[..., 0] > 200) & (frame[..., 1] > 120) & (frame[..., 1] < 220) & (frame[..., 2] < 80))


def test_the_click_ring_appears_at_its_point_during_the_step(tmp_path):
    frames = _render(tmp_path, _grey(tmp_path / "g.png"), {"click": {"x": 0.3, "y": 0.6}}, frames=20, ring=True)
    lead = effects.ease_frames(20, 20)
    assert len(_orange(frames[0])[0]) == 0 and len(_orange(frames[lead - 1])[0]) == 0, "not at once"
    ys, xs = _orange(frames[lead])
    assert len(xs) > 50 and len(_orange(frames[-1])[0]) == len(xs), "from then on, to the step's end"
    assert abs(xs.mean() - 0.3 * 640) < 4 and abs(ys.mean() - 0.6 * 360) < 4, (xs.mean(), ys.mean())
    radius = np.hypot(xs - 0.3 * 640, ys - 0.6 * 360)
    assert radius.min() > 5, "a ring, not a dot: the clicked spot stays visible"


def test_with_a_zoom_the_ring_shows_while_the_zoom_holds(tmp_path):
    fx = {"focus": WIDE, "zoom": True, "click": {"x": 0.7, "y": 0.27}}
    frames = _render(tmp_path, _grey(tmp_path / "g.png"), fx, ring=True)
    ease = effects.ease_frames(20, 40)
    shown = [len(_orange(f)[0]) > 50 for f in frames]
    assert shown == [False] * ease + [True] * (40 - 2 * ease) + [False] * ease, shown


def test_a_portrait_frame_shows_the_focus_across_its_width_in_pixels(tmp_path):
    source = _quadrants(tmp_path / "q.png", outline=WIDE)
    frame = _render(tmp_path, source, {"focus": WIDE}, size=(360, 640), frames=4)[1]
    columns = _magenta_columns(frame)
    assert columns.min() < 360 * 0.06 and columns.max() > 360 * 0.94, columns
    letterboxed = _render(tmp_path, source, {}, size=(360, 640), frames=4)[1]
    shown = lambda frame: int((frame.mean(axis=(1, 2)) > 20).sum())  # noqa: E731 (rows with picture)
    assert shown(letterboxed) < 640 * 0.35 < shown(frame), "letterboxed, the picture is a strip; framed, it is not"


# --- through the API, a worker and the one render path --------------------------------------

def _png_bytes(path: Path) -> bytes:
    return path.read_bytes()


def _frames_of(mp4: bytes) -> list[np.ndarray]:
    import io

    with av.open(io.BytesIO(mp4)) as container:
        return [f.to_ndarray(format="rgb24").astype(float) for f in container.decode(container.streams.video[0])]


@pytest.mark.django_db(transaction=True)
def test_a_portrait_video_of_a_step_with_a_focus_shows_the_region_across_its_width(
        alice_api, alice_project, worker, tmp_path):
    from tests.previews.helpers import chapter_with_steps, upload
    from tests.previews.test_one_render_path import _generate, _video_mp4

    picture = upload(alice_api, alice_project.id, "screen.png", _png_bytes(_quadrants(tmp_path / "q.png", WIDE)))
    chapter = chapter_with_steps(alice_api, alice_project.id, [
        {"caption": "", "asset": picture["id"], "duration": 1.0, "transition": "cut", "effects": {"focus": WIDE}}])
    accepted = _generate(alice_api, alice_project.id, chapter["id"], resolution="480p", aspect="9:16")
    frames = _frames_of(_video_mp4(alice_api, accepted))
    middle = frames[len(frames) // 2]
    assert middle.shape[:2] == (854, 480)
    columns = _magenta_columns(middle)
    assert columns.min() < 480 * 0.06 and columns.max() > 480 * 0.94, columns


@pytest.mark.django_db(transaction=True)
def test_a_preview_zooms_and_redacts_through_the_one_render_path(alice_api, alice_project, worker, tmp_path):
    from tests.previews.helpers import upload
    from tests.previews.test_one_render_path import _preview_mp4

    picture = upload(alice_api, alice_project.id, "noise.png", _png_bytes(_noise(tmp_path / "n.png")))
    region = {"x": 0.3, "y": 0.3, "w": 0.4, "h": 0.2}
    mp4 = _preview_mp4(alice_api, alice_project.id, {"steps": [
        {"asset": str(picture["id"]), "duration": 2.0, "transition": "cut",
         "effects": {"focus": region, "zoom": True, "blur": [region]}},
        {"asset": str(picture["id"]), "duration": 1.0}]})
    frames = _frames_of(mp4)
    height, width = frames[0].shape[:2]
    fps = len(frames) / 3.0
    middle = frames[round(fps * 1.0)]
    inside = middle[int(height * 0.35): int(height * 0.65), int(width * 0.1): int(width * 0.9)]
    plain = frames[-1][int(height * 0.35): int(height * 0.65), int(width * 0.35): int(width * 0.65)]
    assert inside.var() * 40 < plain.var(), "the zoomed-in region is the blur, not the text under it"


def test_a_video_scene_is_redacted_and_zoomed_on_every_frame(tmp_path):
    """A screen recording: its frames change, so the blur and the zoom apply to each of them."""
    clip = tmp_path / "clip.mp4"
    ffmpeg.run(["-f", "lavfi", "-i", f"testsrc2=s={SOURCE[0]}x{SOURCE[1]}:r=20:d=2", "-c:v", "libx264",
                "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-f", "mp4", str(clip)], timeout=120)
    region = {"x": 0.3, "y": 0.3, "w": 0.4, "h": 0.2}
    look = framing.look_for(effects.parse({"focus": region, "zoom": True, "blur": [region]}), size=SOURCE,
                            width=640, height=360, fps=20, body_frames=40)
    scene = compose.Scene(source=compose.Media(clip, "mp4"), still=False, frames=40, look=look)
    pic = compose.Picture(width=640, height=360, fps=20, scenes=(scene,), preset="ultrafast", crf=12)
    out = tmp_path / "out.mp4"
    ffmpeg.run(compose.pieces_args(pic, [([compose.Segment("body", 0)], out)]), timeout=120)
    with av.open(str(out)) as container:
        frames = [f.to_ndarray(format="rgb24").astype(float) for f in container.decode(container.streams.video[0])]
    assert len(frames) == 40
    middle, first = frames[20], frames[0]

    def detail(pixels: np.ndarray) -> float:  # edges, not colour: the mean step between neighbours
        grey = pixels.mean(axis=2)
        return float(np.abs(np.diff(grey, axis=0)).mean() + np.abs(np.diff(grey, axis=1)).mean())

    sharp = detail(first[225:315, 400:560])  # the recording's checkerboard, outside the region
    assert detail(middle[110:250, 40:600]) < 0.1 * sharp, "the zoomed region of the recording is the blur"


@st.composite
def _looks(draw) -> tuple[dict, tuple[int, int], int, int]:
    def region() -> dict:
        x, y = draw(st.floats(0, 0.9)), draw(st.floats(0, 0.9))
        return {"x": x, "y": y, "w": draw(st.floats(0.01, 1 - x)), "h": draw(st.floats(0.01, 1 - y))}

    fx: dict = {}
    if draw(st.booleans()):
        fx.update(focus=region(), zoom=draw(st.booleans()), highlight=draw(st.booleans()))
    if draw(st.booleans()):
        fx["blur"] = [region() for _ in range(draw(st.integers(1, 3)))]
    if draw(st.booleans()):
        fx["click"] = {"x": draw(st.floats(0, 1)), "y": draw(st.floats(0, 1))}
    size = draw(st.sampled_from([(96, 54), (54, 96), (64, 64)]))
    return fx, size, draw(st.integers(1, 30)), draw(st.integers(0, 4))


@hypothesis_settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=_looks())
def test_any_look_renders_exactly_its_frames_in_every_segment(case, tmp_path_factory):
    """Whatever the effects, the output shape, the body's length (a zoom too short to ease is none)
    and the transitions: each segment has exactly its frames."""
    fx, (width, height), body, fade = case
    work = tmp_path_factory.mktemp("look")
    source, plain = _quadrants(work / "q.png"), _grey(work / "g.png")
    look = framing.look_for(effects.parse(fx), size=SOURCE, width=width, height=height, fps=10, body_frames=body)
    scenes = (compose.Scene(source=compose.Media(source, "image2"), still=True, frames=body + fade, tail=fade,
                            xfade="fade" if fade else "", look=look if look.shows else None,
                            ring=cards.click_ring(work / "ring.png")),
              compose.Scene(source=compose.Media(plain, "image2"), still=True, frames=fade + 5, head=fade))
    pic = compose.Picture(width=width, height=height, fps=10, scenes=scenes, preset="ultrafast")
    outs = [(seg, work / f"{seg.kind}-{seg.index}.mp4") for seg in pic.segments()]
    ffmpeg.run(compose.pieces_args(pic, [([seg], path) for seg, path in outs]), timeout=120)
    for seg, path in outs:
        assert probe.count_frames(str(path), demuxer="mp4") == pic.frames(seg), (seg, fx)


@pytest.mark.django_db(transaction=True)
def test_an_effect_edit_re_renders_only_what_it_touches_in_a_video(alice_api, alice_project, worker):
    """Highlight, zoom and click: the step's body alone. A blur: the body and its two cross-fades
    (a redaction holds in a transition too)."""
    from tests.previews.test_videos import _bilingual_chapter, _generate, _wait

    chapter = _bilingual_chapter(alice_api, alice_project.id, transition="crossfade")

    def render_outputs() -> dict:
        accepted = _generate(alice_api, alice_project.id, chapter["id"], languages=["en"])
        status = _wait(alice_api, accepted["jobId"])
        assert status["status"] == "succeeded", status
        return next(s for s in status["stages"] if s["stage"] == "render")["outputs"]

    render_outputs()
    step = alice_api.get(f"/api/chapters/{chapter['id']}/steps").json()["results"][1]
    focus = {"x": 0.2, "y": 0.2, "w": 0.5, "h": 0.3}
    alice_api.patch(f"/api/steps/{step['id']}", {"effects": {"focus": focus, "highlight": True, "zoom": True,
                                                             "click": {"x": 0.4, "y": 0.3}}}, format="json")
    assert render_outputs() == {"rendered": 1, "reused": 4, "pieces": 5, "encoded": 0}
    alice_api.patch(f"/api/steps/{step['id']}", {"effects": {"blur": [focus]}}, format="json")
    assert render_outputs() == {"rendered": 3, "reused": 2, "pieces": 5, "encoded": 0}
