"""Emphasis on the screenshot (issue 20.3), in Chromium: the author drags on a step's picture to set
its focus region, ticks zoom, saves, and the API answers with those effects."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import TemporaryUploadedFile
from playwright.sync_api import expect

from assets.services import asset_ingest
from contentizer import services
from contentizer.models import Project
from tests import media
from tests.browser.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def chapter(alice):
    project = Project.objects.create(owner=alice, title="Screens", languages=["en"])
    data = media.image_bytes("PNG", (1280, 720), (40, 60, 200))
    upload = TemporaryUploadedFile("screen.png", "image/png", len(data), None)
    upload.write(data)
    upload.flush()
    asset = asset_ingest(project=project, upload=upload).asset
    chapter = services.chapter_create(project=project, title="Sign in")
    services.step_create(chapter=chapter, caption="Type your e-mail", duration=2.0, asset=asset)
    return chapter


def _drag(page, picture, start: tuple[float, float], end: tuple[float, float]) -> None:
    picture.scroll_into_view_if_needed()
    box = picture.bounding_box()
    page.mouse.move(box["x"] + box["width"] * start[0], box["y"] + box["height"] * start[1])
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * end[0], box["y"] + box["height"] * end[1], steps=8)
    page.mouse.up()


def test_a_focus_region_drawn_on_the_picture_is_saved_as_the_steps_effects(page, live_server, alice, alice_api,
                                                                            chapter):
    log_in(page.context, alice, live_server.url)
    page.goto(f"/chapters/{chapter.pk}/")
    card = page.get_by_role("form", name="Step 1")
    picture = card.get_by_role("img", name=re.compile("drag on it"))
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=picture.element_handle())
    _drag(page, picture, (0.25, 0.5), (0.75, 0.75))
    assert float(card.get_by_label("Focus left").input_value()) == pytest.approx(0.25, abs=0.02)
    assert float(card.get_by_label("Focus width").input_value()) == pytest.approx(0.5, abs=0.02)
    card.get_by_role("radio", name="Blur region").check()
    _drag(page, picture, (0.05, 0.05), (0.4, 0.12))
    card.get_by_role("radio", name="Click marker").check()
    _drag(page, picture, (0.6, 0.6), (0.6, 0.6))
    card.get_by_label("Zoom into the focus and back out").check()
    card.get_by_role("button", name="Save step 1").click()
    expect(page.get_by_text("Step 1 saved.")).to_be_visible()

    step_id = chapter.steps.get().pk
    fx = alice_api.get(f"/api/steps/{step_id}").json()["effects"]
    assert fx["zoom"] is True and "highlight" not in fx
    assert fx["focus"] == pytest.approx({"x": 0.25, "y": 0.5, "w": 0.5, "h": 0.25}, abs=0.02)
    assert fx["blur"] == [pytest.approx({"x": 0.05, "y": 0.05, "w": 0.35, "h": 0.07}, abs=0.02)]
    assert fx["click"] == pytest.approx({"x": 0.6, "y": 0.6}, abs=0.02)
    expect(card.get_by_label("Focus top")).to_have_value(str(fx["focus"]["y"]))  # the page shows what was saved


def test_the_effects_controls_fit_a_phone(open_context, live_server, alice, chapter):
    """At 390 px: no sideways scrolling, every control labelled and at least 44 px tall."""
    from tests.browser.test_every_page_at_390 import CHECKS, HEIGHT, WIDTH

    context = open_context(width=WIDTH, height=HEIGHT)
    log_in(context, alice, live_server.url)
    page = context.new_page()
    page.goto(f"{live_server.url}/chapters/{chapter.pk}/")
    expect(page.get_by_role("img", name=re.compile("drag on it"))).to_be_visible()
    problems = page.evaluate(CHECKS)
    assert problems["scroll"] <= WIDTH, problems["wide"]
    assert problems["unlabelled"] == [] and problems["nameless"] == [], problems
    assert [p for p in problems["small"] if "effects" in p or "Clear" in p] == [], problems["small"]
    picture = page.get_by_role("img", name=re.compile("drag on it")).bounding_box()
    assert picture["x"] >= 0 and picture["x"] + picture["width"] <= WIDTH


def test_a_focus_drawn_in_the_studio_fills_the_width_of_a_portrait_video(page, live_server, alice, alice_api, worker,
                                                                          tmp_path):
    """The author's story: draw the focus on the screenshot, generate 9:16; the frame of that step
    shows the region across its width (its magenta outline near both edges), not a letterboxed strip."""
    import io

    import av

    from previews.models import Video
    from tests.conftest import wait_for
    from tests.previews.test_effects import WIDE, _magenta_columns, _quadrants

    project = Project.objects.create(owner=alice, title="Phones", languages=["en"])
    data = _quadrants(tmp_path / "screen.png", outline=WIDE).read_bytes()
    upload = TemporaryUploadedFile("screen.png", "image/png", len(data), None)
    upload.write(data)
    upload.flush()
    chapter = services.chapter_create(project=project, title="Portrait")
    services.step_create(chapter=chapter, caption="", duration=1.0, transition="cut",
                         asset=asset_ingest(project=project, upload=upload).asset)
    log_in(page.context, alice, live_server.url)
    page.goto(f"/chapters/{chapter.pk}/")
    card = page.get_by_role("form", name="Step 1")
    picture = card.get_by_role("img", name=re.compile("drag on it"))
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=picture.element_handle())
    _drag(page, picture, (WIDE["x"], WIDE["y"]), (WIDE["x"] + WIDE["w"], WIDE["y"] + WIDE["h"]))
    card.get_by_role("button", name="Save step 1").click()
    expect(page.get_by_text("Step 1 saved.")).to_be_visible()

    page.get_by_role("link", name="Generate video…").click()
    page.get_by_label("9:16 portrait").check()
    page.get_by_label("480p").check()
    page.get_by_role("group", name="Languages").get_by_role("checkbox").first.check()  # captions only: no narration
    page.get_by_role("button", name="Generate video").click()
    video = wait_for(lambda: Video.objects.filter(chapter=chapter, job__status="succeeded").first(), timeout=180)
    mp4 = alice_api.get(f"/api/videos/{video.pk}").json()["urls"]["download"]
    response = alice_api.get(mp4)
    with av.open(io.BytesIO(b"".join(response.streaming_content))) as container:
        frames = [f.to_ndarray(format="rgb24").astype(float) for f in container.decode(container.streams.video[0])]
    middle = frames[len(frames) // 2]
    assert middle.shape[:2] == (854, 480)
    columns = _magenta_columns(middle)
    assert columns.min() < 480 * 0.07 and columns.max() > 480 * 0.93, columns
