"""The chapter editor and a job page in Chromium: drag and drop, keyboard moves, errors beside
their fields, and an export job followed live to its download."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from contentizer import services
from contentizer.models import Project, Step
from tests.browser.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def chapter(alice):
    project = Project.objects.create(owner=alice, title="Bikes", languages=["en", "de"])
    chapter = services.chapter_create(project=project, title="Brakes")
    for caption in ("One", "Two", "Three"):
        services.step_create(chapter=chapter, caption=caption, duration=2.0, narration={"en": f"{caption}."})
    return chapter


def _order(chapter) -> list[str]:
    return list(Step.objects.filter(chapter=chapter).order_by("position").values_list("caption", flat=True))


def _headings(page) -> list[str]:
    return [page.get_by_role("form", name=f"Step {n}").get_by_label("Caption").input_value() for n in (1, 2, 3)]


def test_steps_reorder_by_drag_and_drop_and_by_keyboard(open_context, live_server, alice, chapter):
    context = open_context(1280, 4000)  # a tall screen: every card in view, as a drag needs
    log_in(context, alice, live_server.url)
    page = context.new_page()
    page.goto(f"/chapters/{chapter.pk}/")
    page.locator("li.step").nth(2).locator(".handle").drag_to(page.locator("li.step").nth(0))
    expect(page.get_by_role("status").filter(has_text="Steps reordered.")).to_be_visible()
    assert _order(chapter) == ["Three", "One", "Two"] == _headings(page)

    move = page.get_by_role("button", name="Move down step 1")
    move.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="Step moved to position 2.")).to_be_visible()
    assert _order(chapter) == ["One", "Three", "Two"] == _headings(page)
    expect(page.get_by_role("button", name="Move up step 1")).to_be_disabled()
    expect(page.get_by_role("button", name="Move down step 3")).to_be_disabled()


def test_every_error_of_a_step_appears_beside_its_field_at_once(page, live_server, alice, chapter):
    log_in(page.context, alice, live_server.url)
    page.goto(f"/chapters/{chapter.pk}/")
    card = page.get_by_role("form", name="Step 2")
    card.get_by_label("Duration (seconds)", exact=True).fill("0")
    card.get_by_label("Transition duration (seconds)").fill("9")
    card.get_by_label("Narration (German)").fill("x" * 5001)
    card.get_by_role("button", name="Save step 2").click()
    card = page.get_by_role("form", name="Step 2")
    expect(card.get_by_role("alert")).to_contain_text("3 problems to fix:")
    expect(card.get_by_label("Duration (seconds)", exact=True)).to_have_accessible_description(
        "Ensure this value is greater than or equal to 0.1.")
    expect(card.get_by_label("Transition duration (seconds)")).to_have_accessible_description(
        "Ensure this value is less than or equal to 5.0.")
    expect(card.get_by_label("Narration (German)")).to_have_accessible_description(
        "Ensure this field has no more than 5000 characters.")
    expect(card.get_by_label("Duration (seconds)", exact=True)).to_have_attribute("aria-invalid", "true")
    assert Step.objects.get(caption="Two").duration == 2.0  # nothing was saved


def test_an_export_job_page_updates_by_itself_until_its_download_appears(page, live_server, alice, chapter, worker):
    log_in(page.context, alice, live_server.url)
    page.goto(f"/projects/{chapter.project_id}/")
    page.get_by_role("button", name="Export").click()
    status = page.locator("[data-job-field=status]")
    expect(status).to_have_text("Queued")  # what the server drew; the script takes it from here
    url = page.url
    expect(page.get_by_role("link", name="Download bikes.zip")).to_be_visible(timeout=60_000)
    assert page.url == url
    expect(page.locator("[data-job-field=status]")).to_have_text("Succeeded")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download bikes.zip").click()
    assert download.value.suggested_filename == "bikes.zip"
