"""The chapter editor and a job page in Chromium: drag and drop, keyboard moves, errors beside
their fields, and an export job followed live to its download."""

from __future__ import annotations

import base64
import re

import pytest
from playwright.sync_api import expect

from assets.models import Asset, Upload
from contentizer.jobs.models import Job
from contentizer.models import Project, Step
from tests import media
from tests.browser.conftest import bikes_chapter, log_in

pytestmark = pytest.mark.django_db(transaction=True)


chapter = pytest.fixture(bikes_chapter, name="chapter")  # three steps: One, Two, Three


def _order(chapter) -> list[str]:
    return list(Step.objects.filter(chapter=chapter).order_by("position").values_list("caption__en", flat=True))


def _headings(page) -> list[str]:
    return [page.get_by_role("form", name=f"Step {n}").get_by_label("Caption (English)").input_value()
            for n in (1, 2, 3)]


def test_steps_reorder_by_drag_and_drop_and_by_keyboard(open_context, live_server, alice, chapter):
    context = open_context(1280, 9000)  # a tall screen: every card in view, as a drag needs
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
    assert Step.objects.get(caption={"en": "Two"}).duration == 2.0  # nothing was saved


def test_an_export_job_page_updates_by_itself_until_its_download_appears(page, live_server, alice, chapter, worker):
    log_in(page.context, alice, live_server.url)
    page.goto(f"/projects/{chapter.project_id}/")
    page.get_by_role("button", name="Export", exact=True).click()
    status = page.locator("[data-job-field=status]")
    expect(status).to_have_text("Queued")  # what the server drew; the script takes it from here
    url = page.url
    expect(page.get_by_role("link", name="Download bikes.zip")).to_be_visible(timeout=60_000)
    assert page.url == url
    expect(page.locator("[data-job-field=status]")).to_have_text("Succeeded")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download bikes.zip").click()
    assert download.value.suggested_filename == "bikes.zip"


def test_a_file_uploaded_inside_a_step_card_becomes_its_picture(page, live_server, alice, chapter, tmp_path):
    picture = tmp_path / "brake-lever.png"
    picture.write_bytes(media.noise_png((120, 90), seed=11))
    log_in(page.context, alice, live_server.url)
    page.goto(f"/chapters/{chapter.pk}/")
    card = page.get_by_role("form", name="Step 1")
    card.get_by_label("Or upload a new file").set_input_files(str(picture))
    expect(card.get_by_role("status")).to_have_text("brake-lever.png uploaded and chosen.")
    expect(card.get_by_role("radio", name="brake-lever.png")).to_be_checked()
    expect(card.locator(".save-state")).to_have_text("Saved")  # the choice is saved without a click
    assert Step.objects.get(caption={"en": "One"}).asset.original_name == "brake-lever.png"
    card.get_by_role("button", name="Save step 1").click()  # the button still saves, as without scripts
    expect(page.get_by_role("status").filter(has_text="Step 1 saved.")).to_be_visible()
    step = Step.objects.get(caption={"en": "One"})
    assert step.asset.original_name == "brake-lever.png" and step.asset.project_id == chapter.project_id
    assert Upload.objects.get().asset_id == step.asset_id


def test_files_dropped_on_the_library_upload_with_a_progress_bar_each(page, live_server, alice, chapter):
    log_in(page.context, alice, live_server.url)
    page.goto(f"/projects/{chapter.project_id}/assets/")
    expect(page.get_by_role("button", name="Upload")).to_be_hidden()  # scripts upload as files are chosen
    files = {name: base64.b64encode(media.noise_png((80, 60), seed=i)).decode()
             for i, name in enumerate(("front.png", "back.png"))}
    dropped = page.evaluate_handle("""(files) => {
        const transfer = new DataTransfer();
        for (const [name, data] of Object.entries(files)) {
          const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
          transfer.items.add(new File([bytes], name, {type: "image/png"}));
        }
        return transfer;
    }""", files)
    page.dispatch_event("[data-upload-zone]", "drop", {"dataTransfer": dropped})
    page.wait_for_load_state()
    expect(page.locator(".asset-grid li")).to_have_count(2, timeout=20_000)  # the page reloads once all are in
    assert sorted(Asset.objects.values_list("original_name", flat=True)) == ["back.png", "front.png"]


def test_an_import_goes_on_to_its_job_page_which_shows_the_apis_error(page, live_server, alice, chapter, tmp_path,
                                                                      worker):
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    log_in(page.context, alice, live_server.url)
    page.goto("/")
    page.get_by_label("Export zip").set_input_files(str(broken))
    page.get_by_role("button", name="Import").click()
    page.wait_for_url(re.compile(r"/jobs/[0-9a-f-]+/$"))
    job = Job.objects.get(kind="import")
    assert page.url.endswith(f"/jobs/{job.pk}/")
    # the page follows the job by itself until the worker refuses the zip
    expect(page.get_by_text("The file is not a readable zip archive")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Nothing was created.")).to_be_visible()
    assert Project.objects.count() == 1


def test_a_dropped_connection_resumes_from_the_servers_offset_by_itself(page, live_server, alice, chapter,
                                                                        settings, tmp_path):
    settings.TUS_CHUNK_BYTES = 32 * 1024
    picture = tmp_path / "spokes.png"
    picture.write_bytes(media.noise_png((120, 120), seed=12))  # ~43 kB: two chunks
    sent, dropped = [], []

    def drop_the_second_chunk_once(route) -> None:
        request = route.request
        if request.method == "PATCH" and request.headers.get("upload-offset") != "0" and not dropped:
            dropped.append(request.headers["upload-offset"])
            route.abort("connectionreset")
        else:
            route.continue_()

    page.on("request", lambda r: sent.append((r.method, r.headers.get("upload-offset")))
            if "/api/uploads" in r.url else None)
    log_in(page.context, alice, live_server.url)
    page.goto(f"/projects/{chapter.project_id}/assets/")
    page.route("**/api/uploads/*", drop_the_second_chunk_once)
    page.get_by_label("Choose files").set_input_files(str(picture))
    expect(page.locator(".asset-grid li")).to_have_count(1, timeout=20_000)
    assert dropped == ["32768"]
    assert [m for m, _ in sent].count("POST") == 1  # the same upload went on: no second creation
    after = sent[sent.index(("PATCH", "32768")) + 1:]
    assert after[0] == ("HEAD", None) and ("PATCH", "32768") in after, sent
    assert Asset.objects.get().blob.size == picture.stat().st_size
