"""The editor never loses work (issue 20.1), in Chromium: edits in two steps are saved without a button,
leaving early asks first, a reload keeps everything; "Save step 2" keeps step 1's edit; a screenshot
pasted from the clipboard or dropped on a step becomes its picture; a step is added after any step and
duplicated."""

from __future__ import annotations

import base64

import pytest
from playwright.sync_api import expect

from contentizer.models import Step
from tests import media
from tests.browser.conftest import bikes_chapter, log_in

pytestmark = pytest.mark.django_db(transaction=True)
chapter = pytest.fixture(bikes_chapter, name="chapter")  # the editor tests' three steps


def _steps(chapter) -> list[Step]:
    return list(Step.objects.filter(chapter=chapter).order_by("position"))


def test_edits_in_two_steps_are_saved_and_leaving_early_asks_first(page, live_server, alice, chapter):
    log_in(page.context, alice, live_server.url)
    page.goto(f"/chapters/{chapter.pk}/")
    first, second = page.get_by_role("form", name="Step 1"), page.get_by_role("form", name="Step 2")
    first.get_by_label("Caption (English)").fill("Squeeze the lever")
    second.get_by_label("Narration (German)").fill("Drücken Sie den Hebel.")
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))  # stay on the page
    page.get_by_role("link", name="Projects").first.click(no_wait_after=True)
    page.wait_for_timeout(300)
    assert asked == ["beforeunload"], "leaving with changes not saved yet asks first"
    expect(first.locator(".save-state")).to_have_text("Saved")
    expect(second.locator(".save-state")).to_have_text("Saved")
    page.reload()  # saved: nothing to ask any more
    assert asked == ["beforeunload"]
    kept = page.get_by_role("form", name="Step 1").get_by_label("Caption (English)").input_value()
    assert kept == "Squeeze the lever"
    kept = page.get_by_role("form", name="Step 2").get_by_label("Narration (German)").input_value()
    assert kept == "Drücken Sie den Hebel."
    one, two, _ = _steps(chapter)
    assert one.caption == {"en": "Squeeze the lever"}
    assert two.narration == {"en": "Two.", "de": "Drücken Sie den Hebel."}


def test_saving_step_2_keeps_what_was_typed_in_step_1(page, live_server, alice, chapter):
    log_in(page.context, alice, live_server.url)
    page.goto(f"/chapters/{chapter.pk}/")
    page.get_by_role("form", name="Step 1").get_by_label("Caption (English)").fill("Check the pads")
    card = page.get_by_role("form", name="Step 2")
    card.get_by_label("Caption (English)").fill("Check the cable")
    card.get_by_role("button", name="Save step 2").click()  # at once, before step 1's own save is due
    expect(page.get_by_role("status").filter(has_text="Step 2 saved.")).to_be_visible()
    assert [s.caption["en"] for s in _steps(chapter)] == ["Check the pads", "Check the cable", "Three"]
    assert page.get_by_role("form", name="Step 1").get_by_label("Caption (English)").input_value() == "Check the pads"


def _file_transfer(page, name: str, content: bytes, mime: str):
    return page.evaluate_handle("""([name, data, mime]) => {
        const transfer = new DataTransfer();
        const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        transfer.items.add(new File([bytes], name, {type: mime}));
        return transfer;
    }""", [name, base64.b64encode(content).decode(), mime])


def test_a_pasted_screenshot_and_a_dropped_file_become_the_steps_pictures(page, live_server, alice, chapter):
    log_in(page.context, alice, live_server.url)
    page.goto(f"/chapters/{chapter.pk}/")
    card = page.get_by_role("form", name="Step 1")
    clipboard = _file_transfer(page, "image.png", media.noise_png((160, 90), seed=3), "image/png")
    card.get_by_label("Caption (English)").evaluate(
        "(box, data) => box.dispatchEvent(new ClipboardEvent('paste', {clipboardData: data, bubbles: true}))",
        clipboard)
    expect(card.get_by_role("status")).to_contain_text("uploaded and chosen.", timeout=20_000)
    expect(card.locator(".save-state")).to_have_text("Saved")
    pasted = _steps(chapter)[0].asset
    assert pasted.original_name.startswith("pasted-") and pasted.original_name.endswith(".png")
    assert card.get_by_label("Caption (English)").input_value() == "One", "the paste did not go into the text"

    second = page.get_by_role("form", name="Step 2")
    dropped = _file_transfer(page, "gear.png", media.noise_png((120, 90), seed=4), "image/png")
    page.locator("li.step").nth(1).dispatch_event("drop", {"dataTransfer": dropped})
    expect(second.get_by_role("status")).to_contain_text("gear.png uploaded and chosen.", timeout=20_000)
    expect(second.locator(".save-state")).to_have_text("Saved")
    assert _steps(chapter)[1].asset.original_name == "gear.png"


def test_a_step_is_added_after_any_step_and_duplicated(page, live_server, alice, chapter):
    log_in(page.context, alice, live_server.url)
    page.goto(f"/chapters/{chapter.pk}/")
    page.get_by_role("button", name="Add a step after step 1").click()
    expect(page.get_by_role("status").filter(has_text="Step 2 added after step 1.")).to_be_visible()
    assert [s.caption.get("en", "") for s in _steps(chapter)] == ["One", "", "Two", "Three"]
    page.get_by_role("form", name="Step 2").get_by_label("Caption (English)").fill("New in between")
    page.get_by_role("button", name="Duplicate step 3").click()  # finishes step 2's save first
    expect(page.get_by_role("status").filter(has_text="Step 3 duplicated: the copy is step 4.")).to_be_visible()
    steps = _steps(chapter)
    assert [s.caption.get("en", "") for s in steps] == ["One", "New in between", "Two", "Two", "Three"]
    assert (steps[3].narration, steps[3].duration) == (steps[2].narration, steps[2].duration)
