"""The Brand form in Chromium at 390 px: it fits, every control is labelled and 44 px tall, and a
brand chosen by the author is saved and shown back."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from contentizer.models import Project
from tests.browser.conftest import log_in
from tests.browser.test_every_page_at_390 import HEIGHT, WIDTH, _check

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_author_sets_the_brand_in_the_studio_and_sees_it_saved(open_context, live_server, alice):
    project = Project.objects.create(owner=alice, title="Bike repair", languages=["en"])
    context = open_context(WIDTH, HEIGHT)
    log_in(context, alice, live_server.url)
    page = context.new_page()
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    _check(page, "project page with its brand form", None)
    brand = page.get_by_role("region", name="Brand")
    brand.get_by_label("Position").select_option("top")
    brand.get_by_label("Size", exact=True).first.select_option("large")
    brand.get_by_label("Box opacity").fill("0.9")
    brand.get_by_label("Intro title").fill("Bike repair basics")
    brand.get_by_label("Intro seconds").fill("2")
    brand.get_by_role("button", name="Save brand").click()
    expect(page.get_by_text("Brand saved.")).to_be_visible()
    project.refresh_from_db()
    assert project.brand["caption"]["position"] == "top" and project.brand["caption"]["size"] == "large"
    assert project.brand["intro"] == {"title": "Bike repair basics", "subtitle": "", "seconds": 2.0}
    brand = page.get_by_role("region", name="Brand")
    expect(brand.get_by_label("Position")).to_have_value("top")
    expect(brand.get_by_label("Intro title")).to_have_value("Bike repair basics")
    brand.get_by_label("Box opacity").fill("3")
    brand.get_by_role("button", name="Save brand").click()
    expect(brand.locator("#brand-caption_boxOpacity-error")).to_have_text("3 is outside 0 to 1")
    expect(brand.get_by_role("alert")).to_contain_text("Caption box opacity: 3 is outside 0 to 1")
    project.refresh_from_db()
    assert project.brand["caption"]["boxOpacity"] == 0.9, "a refused brand changes nothing"
