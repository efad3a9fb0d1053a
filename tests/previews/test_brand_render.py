"""A project's brand in the Timeline and the render path (issue 20.6): version 3's `style`, piece
keys that change exactly where a style touches, and what real FFmpeg draws, in pixels."""

from __future__ import annotations

import io
from types import SimpleNamespace

import av
import numpy as np
import pytest

from previews import cards
from previews.timeline import Output, Timeline, TimelineError
from tests import media
from tests.previews.helpers import download, upload

SHA = "a" * 64
LOGO = "b" * 64
STYLE = {
    "caption": {"size": "large", "position": "top", "color": "#ffee00", "background": "#0000ff", "boxOpacity": 1.0}
}


def _timeline(version: int = 3, style: dict | None = None, intro: bool = False) -> dict:
    scenes = [
        {
            "type": "image",
            "duration": 2,
            "asset": SHA,
            "caption": "Open the menu",
            "transition": {"type": "crossfade", "duration": 0.5},
        },
        {"type": "image", "duration": 2, "asset": SHA, "caption": ""},
        {"type": "title", "duration": 2, "title": "Done", "color": "#1f2d3d"},
    ]
    if intro:
        scenes.insert(
            0,
            {
                "type": "title",
                "duration": 1,
                "title": "Acme",
                "subtitle": "Getting started",
                "color": "#aa0000",
                "textColor": "#ffee00",
            },
        )
    data = {"version": version, "output": {"width": 128, "height": 72, "fps": 10}, "scenes": scenes}
    return {**data, "style": style} if style else data


def _keys(tmp_path, monkeypatch, data: dict) -> list[str]:
    from contentizer.jobs.runner import JobContext
    from previews.render import Render

    monkeypatch.setattr(
        Render, "_blob", lambda self, sha256, i, where="": SimpleNamespace(ext="png", width=200, height=100)
    )
    render = Render(
        JobContext(job=None, work_dir=tmp_path),
        Timeline.parse(data),
        [],
        timeout=10,
        workspace=f"w{len(list(tmp_path.iterdir()))}",
    )
    return [piece.key for piece in render.pieces()]


# --- the contract ---------------------------------------------------------------------------


def test_a_version_3_style_round_trips():
    style = {**STYLE, "logo": {"asset": LOGO, "corner": "bottom-left", "size": 0.2}}
    timeline = Timeline.parse(_timeline(style=style, intro=True))
    assert timeline.style.caption.position == "top" and timeline.style.logo.corner == "bottom-left"
    assert timeline.scenes[0].text_color == "#ffee00" and timeline.scenes[0].subtitle == "Getting started"
    assert Timeline.parse(timeline.to_dict()) == timeline
    assert LOGO in timeline.asset_hashes()


def test_the_default_style_leaves_the_json_as_version_2s():
    timeline = Timeline.parse(_timeline(style={"caption": {"position": "bottom"}}))
    assert "style" not in timeline.to_dict() and "textColor" not in timeline.to_dict()["scenes"][2]


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"style": STYLE}, "style"),
        ({"scenes": [{"type": "title", "duration": 1, "textColor": "#ffffff"}]}, "scenes[0].textColor"),
    ],
)
def test_version_2_cannot_carry_a_style(change, path):
    with pytest.raises(TimelineError) as caught:
        Timeline.parse({**_timeline(version=2), **change})
    assert path in caught.value.problems


def test_a_bad_style_is_refused_naming_the_field():
    with pytest.raises(TimelineError) as caught:
        Timeline.parse(_timeline(style={"caption": {"position": "middle"}, "logo": {"asset": "nope"}}))
    assert {"style.caption.position", "style.logo.asset"} <= set(caught.value.problems)


# --- piece keys -----------------------------------------------------------------------------


def test_version_1_2_and_a_default_version_3_render_under_the_same_keys(tmp_path, monkeypatch):
    keys = _keys(tmp_path, monkeypatch, _timeline(version=2))
    assert _keys(tmp_path, monkeypatch, _timeline(version=1)) == keys
    assert _keys(tmp_path, monkeypatch, _timeline(version=3)) == keys
    assert _keys(tmp_path, monkeypatch, _timeline(style={"caption": {"size": "medium"}})) == keys


def test_a_caption_style_re_renders_only_the_captioned_bodies(tmp_path, monkeypatch):
    plain = _keys(tmp_path, monkeypatch, _timeline())  # body 0 (captioned), the cross-fade, body 1, the card
    styled = _keys(tmp_path, monkeypatch, _timeline(style=STYLE))
    assert styled[0] != plain[0] and styled[1:] == plain[1:]


def test_a_logo_re_renders_every_piece(tmp_path, monkeypatch):
    plain = _keys(tmp_path, monkeypatch, _timeline())
    logo = _keys(tmp_path, monkeypatch, _timeline(style={"logo": {"asset": LOGO}}))
    moved = _keys(tmp_path, monkeypatch, _timeline(style={"logo": {"asset": LOGO, "corner": "top-left"}}))
    assert all(a != b != c for a, b, c in zip(plain, logo, moved, strict=True))


def test_an_intro_adds_its_piece_and_reuses_the_others(tmp_path, monkeypatch):
    plain = _keys(tmp_path, monkeypatch, _timeline())
    with_intro = _keys(tmp_path, monkeypatch, _timeline(intro=True))
    assert with_intro[1:] == plain and with_intro[0] not in plain


# --- pictures -------------------------------------------------------------------------------


def test_a_top_caption_sits_below_the_top_margin_in_its_colours(tmp_path):
    out = Output(width=640, height=360, fps=10)
    path, (x, y) = cards.caption_overlay(
        "Hello", out, tmp_path / "c.png", Timeline.parse(_timeline(style=STYLE)).style.caption
    )
    safe = cards.SafeArea.of(out)
    assert y == safe.top
    from PIL import Image

    with Image.open(path) as image:
        assert image.getpixel((4, image.height // 2)) == (0, 0, 255, 255)


# --- through the worker, real FFmpeg, in pixels ----------------------------------------------

MAGENTA, CARD = (255, 0, 255), (170, 0, 0)


def _frames(mp4: bytes) -> list[tuple[float, np.ndarray]]:
    with av.open(io.BytesIO(mp4)) as container:
        return [
            (float(f.time), f.to_ndarray(format="rgb24").astype(int))
            for f in container.decode(container.streams.video[0])
        ]


def _at(frames, seconds: float) -> np.ndarray:
    return min(frames, key=lambda f: abs(f[0] - seconds))[1]


def _near(pixel, colour, tolerance: int = 40) -> bool:
    return bool(np.all(np.abs(np.asarray(pixel) - np.array(colour)) <= tolerance))


@pytest.mark.django_db(transaction=True)
def test_a_branded_video_draws_its_style_logo_and_cards_and_re_renders_only_what_a_change_touches(
    alice_api, alice_project, worker
):
    from tests.previews.test_videos import RED, _bilingual_chapter, _generate, _wait

    chapter = _bilingual_chapter(alice_api, alice_project.id, transition="crossfade")

    def generate() -> tuple[dict, dict]:
        accepted = _generate(alice_api, alice_project.id, chapter["id"], languages=["en"])
        status = _wait(alice_api, accepted["jobId"])
        assert status["status"] == "succeeded", status
        return alice_api.get(f"/api/videos/{accepted['videoId']}").json(), next(
            s for s in status["stages"] if s["stage"] == "render"
        )["outputs"]

    plain, _ = generate()
    logo = upload(alice_api, alice_project.id, "logo.png", media.image_bytes("PNG", (200, 100), MAGENTA))
    brand = {
        "caption": {"position": "top", "color": "#ffee00", "background": "#0000ff", "boxOpacity": 1},
        "logo": {"asset": logo["id"], "corner": "bottom-left", "size": 0.2},
        "colors": {"primary": "#aa0000"},
        "intro": {"title": "Acme", "seconds": 1},
        "outro": {"title": "Thanks", "seconds": 1},
    }
    url = f"/api/projects/{alice_project.id}"
    assert alice_api.patch(url, {"brand": brand}, format="json").status_code == 200
    branded, counters = generate()
    assert counters["pieces"] == 7, counters  # the intro and outro cards, 3 bodies and 2 cross-fades
    assert branded["duration"] == pytest.approx(plain["duration"] + 2, abs=0.05), "the cards' seconds added"

    frames = _frames(download(alice_api, branded["urls"]["download"]))
    h, w, _ = frames[0][1].shape
    side, top, bottom = round(w * 0.05), max(8, h // 18), max(8, h // 18)
    intro, step = _at(frames, 0.5), _at(frames, 1.0 + 0.7)
    assert _near(intro[int(h * 0.15), w // 2], CARD), "the intro card in the project's colour"
    assert _near(_at(frames, branded["duration"] - 0.3)[int(h * 0.15), w // 2], CARD), "the outro card too"
    assert _near(step[top + 4, side + 6], (0, 0, 255)), "the caption box at the top, in its colour"
    assert _near(step[h - bottom - 4, side + 6 + round(0.2 * h * 2)], RED), "nothing at the bottom but the picture"
    logo_h = round(0.2 * h / 2)
    assert _near(step[h - bottom - logo_h // 2, side + logo_h], MAGENTA), "the logo in the bottom-left corner"
    assert _near(intro[h - bottom - logo_h // 2, side + logo_h], MAGENTA), "on the cards as well"
    assert _near(step[h - bottom - logo_h // 2, w - side - logo_h], RED), "and in no other corner"

    alice_api.patch(url, {"brand": {"caption": {"position": "bottom", "color": "#ffee00"}}}, format="json")
    _, counters = generate()
    assert counters["rendered"] == 3 and counters["reused"] == 4, counters  # the 3 captioned bodies only

    alice_api.patch(url, {"brand": {"logo": {"asset": logo["id"], "corner": "top-right"}}}, format="json")
    _, counters = generate()
    assert counters["rendered"] == 7 and counters["reused"] == 0, counters
