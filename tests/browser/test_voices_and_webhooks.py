"""Voices and webhooks in Chromium: ▶ Play speaks a sample into the page's player, a webhook's
secret is shown once, a private address is refused beside the URL, and the new pages fit a phone."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from contentizer import services as core
from contentizer.models import Project
from contentizer.webhooks import services as webhooks
from contentizer.webhooks.models import WebhookAttempt, WebhookEndpoint, WebhookEvent
from tests.browser.conftest import log_in
from tests.browser.test_every_page_at_390 import CHECKS, HEIGHT, WIDTH, _check

pytestmark = pytest.mark.django_db(transaction=True)

AUDIO = "#voice-{} audio"


@pytest.fixture
def project(alice) -> Project:
    project = Project.objects.create(owner=alice, title="Bike repair", languages=["en", "de"])
    chapter = core.chapter_create(project=project, title="Brakes")
    core.step_create(chapter=chapter, caption="Brakes", duration=2.0,
                     narration={"en": "Squeeze the brake lever gently.", "de": "Ziehen Sie die Bremse."})
    return project


def _played(page, language: str) -> dict:
    page.wait_for_function(f"() => {{ const a = document.querySelector('{AUDIO.format(language)}'); "
                           "return a && a.src && a.readyState >= 1 && a.duration > 0; }")
    return page.evaluate(f"() => {{ const a = document.querySelector('{AUDIO.format(language)}'); "
                         "return {src: a.src, duration: a.duration, error: a.error && a.error.code}; }")


def test_play_speaks_a_sample_of_the_chosen_voice_into_the_player(page, live_server, alice, project):
    log_in(page.context, alice, live_server.url)
    page.goto(f"/projects/{project.pk}/")
    english = page.get_by_role("group", name="English (en)")
    expect(english.get_by_label("Sentence to try")).to_have_value("Squeeze the brake lever gently.")
    english.get_by_role("button", name="▶ Play a sample in English").click()
    expect(english.get_by_role("status")).to_have_text("Sample ready.", timeout=60_000)  # the first loads the model
    first = _played(page, "en")
    assert first["src"].startswith("blob:") and first["error"] is None
    assert 0.8 < first["duration"] < 10, first

    english.get_by_label("Voice", exact=True).select_option("espeak:en-us")
    expect(english.locator(".voice-about")).to_contain_text("espeak")
    english.get_by_label("Speaking rate").fill("2")
    english.get_by_role("button", name="▶ Play a sample in English").click()
    page.wait_for_function(f"(old) => document.querySelector('{AUDIO.format('en')}').src !== old", arg=first["src"])
    faster = _played(page, "en")
    assert 0.3 < faster["duration"] < first["duration"], (faster, first)


def test_a_refused_sample_says_why_beside_the_button(page, live_server, alice, project):
    log_in(page.context, alice, live_server.url)
    page.goto(f"/projects/{project.pk}/")
    german = page.get_by_role("group", name="German (de)")
    # past the field's maxlength (as an old browser or a pasted text might): the API's rule answers
    german.get_by_label("Sentence to try").evaluate("(el) => { el.removeAttribute('maxlength'); "
                                                    "el.value = 'x'.repeat(301); }")
    german.get_by_role("button", name="▶ Play a sample in German").click()
    expect(german.get_by_role("status")).to_contain_text("A sample is at most 300 characters.")
    assert page.locator(AUDIO.format("de")).get_attribute("src") is None


def test_registering_a_webhook_shows_its_secret_once(page, live_server, alice):
    log_in(page.context, alice, live_server.url)
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Webhooks").click()
    expect(page.get_by_text("No webhook endpoints yet.")).to_be_visible()
    page.get_by_label("URL").fill("https://hooks.example.com/contentizer")
    page.get_by_label("job.dead").uncheck()
    page.get_by_role("button", name="Register endpoint").click()
    secret = page.get_by_label("Copy this secret now: it is shown only this once and never again.")
    endpoint = WebhookEndpoint.objects.get(owner=alice)
    expect(secret).to_have_value(endpoint.secret)
    if os.environ.get("STUDIO_SHOTS"):
        page.screenshot(path=str(Path(os.environ["STUDIO_SHOTS"]) / "webhook-secret-1280.png"), full_page=True)
    assert endpoint.events == ["job.succeeded", "job.failed", "job.cancelled"]
    page.reload()
    expect(page.get_by_role("heading", name="https://hooks.example.com/contentizer")).to_be_visible()
    expect(page.get_by_text("Signing secret")).to_have_count(0)
    assert endpoint.secret not in page.content()


def test_a_private_address_is_refused_beside_the_url_field(page, live_server, alice):
    log_in(page.context, alice, live_server.url)
    page.goto("/webhooks/")
    page.get_by_label("URL").fill("http://192.168.1.20/hook")
    page.get_by_role("button", name="Register endpoint").click()
    url = page.get_by_label("URL")
    expect(url).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#webhook-url-error")).to_contain_text("webhooks only reach public addresses")
    assert WebhookEndpoint.objects.count() == 0


def test_the_webhook_and_voice_pages_fit_a_phone(open_context, live_server, alice, project):
    shots = Path(os.environ["STUDIO_SHOTS"]) if os.environ.get("STUDIO_SHOTS") else None
    endpoint = webhooks.endpoint_create(owner=alice, url="https://hooks.example.com/a/rather/long/path/for/a/phone",
                                        events=["job.succeeded", "job.failed"], description="Build server")
    event = WebhookEvent.objects.create(owner=alice, type="job.failed", body="{}")
    delivery = webhooks.delivery_submit(endpoint=endpoint, event=event)
    WebhookAttempt.objects.create(delivery=delivery, number=1, started_at=timezone.now(), duration=0.31,
                                  status_code=503, error="The receiver answered HTTP 503.",
                                  response_excerpt="<html><body>Service Unavailable: " + "x" * 300 + "</body></html>")
    for width, height in ((WIDTH, HEIGHT), (1280, 900)):
        context = open_context(width, height)
        log_in(context, alice, live_server.url)
        page = context.new_page()
        for path in ("/webhooks/", f"/webhooks/{endpoint.pk}/", f"/projects/{project.pk}/"):
            page.goto(path)
            if width == WIDTH:
                _check(page, path, None)
            if shots:
                shots.mkdir(parents=True, exist_ok=True)
                name = path.strip("/").replace("/", "_")
                page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
        page.goto(f"/webhooks/{endpoint.pk}/")
        page.get_by_text("Response excerpt").click()  # the receiver's answer, opened, wraps
        expect(page.get_by_text("Service Unavailable")).to_be_visible()
        assert page.evaluate(CHECKS)["scroll"] <= width
