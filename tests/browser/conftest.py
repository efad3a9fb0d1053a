"""Browser tests: Playwright for Python driving Debian's Chromium against a live server.

They need a Chromium (CHROMIUM, default /usr/bin/chromium); without one they are skipped with that
reason, and ./bin/test says so in one line. Playwright's own browser download is never used.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--autoplay-policy=no-user-gesture-required"]


def pytest_collection_modifyitems(config, items) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(item.fspath).is_relative_to(here):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(autouse=True)
def _orm_beside_playwright(monkeypatch) -> None:
    # Playwright's sync API runs an asyncio loop in the test's thread; the ORM calls these tests
    # make there (fixtures, checks) are plain synchronous calls all the same.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser():
    # One Chromium per test (a second or so): Playwright's sync API keeps an asyncio loop running
    # in this thread while it is started, and Django refuses ORM calls beside a running loop, so
    # it must stop before the database is flushed and before any other test runs here.
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def csp_violations(context) -> list[str]:
    """What the Content-Security-Policy blocked in this context, as Chromium reports it on the
    console (scripts, styles, images, media, requests and workers alike)."""
    found: list[str] = []
    context.on("console", lambda message: found.append(f"{message.location.get('url')}: {message.text}")
               if "Content Security Policy" in message.text else None)
    return found


@pytest.fixture
def open_context(browser, live_server):
    """New browser contexts (a fresh profile: no cookies, no storage) against the live server.
    No page any test opens in them may do what its Content-Security-Policy forbids."""
    made, violations = [], []

    def make(width: int = 1280, height: int = 900):
        context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": height})
        context.set_default_timeout(20_000)
        made.append(context)
        violations.append(csp_violations(context))
        return context

    yield make
    for context in made:
        context.close()
    assert [v for found in violations for v in found] == []


@pytest.fixture
def page(open_context) -> Iterator:
    context = open_context()
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    assert page.errors == [], page.errors  # no script on any page may throw


def bikes_chapter(alice):
    """The editor tests' chapter: "Brakes" in a German and English project, three steps One, Two, Three of
    2 s each, narrated in English (a fixture where a test module makes it one)."""
    from contentizer import services
    from contentizer.models import Project

    project = Project.objects.create(owner=alice, title="Bikes", languages=["en", "de"])
    chapter = services.chapter_create(project=project, title="Brakes")
    for caption in ("One", "Two", "Three"):
        services.step_create(chapter=chapter, caption=caption, duration=2.0, narration={"en": f"{caption}."})
    return chapter


def log_in(context, user, base_url: str) -> None:
    """Give the context the session of `user`, as if they had logged in on the login page."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])


def text_of(locator) -> str:
    return re.sub(r"\s+", " ", locator.inner_text()).strip()
