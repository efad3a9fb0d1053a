"""Recording a step's narration in the chapter editor with Chromium's fake microphone (a WAV of the bundled
English voice reading a sentence): Record, Stop, and the narration box fills with what was recognised, read
from the page; after a reload the step shows the recording."""

from __future__ import annotations

import re
import wave
from pathlib import Path

import pytest
from playwright.sync_api import expect

from contentizer import services
from tests.browser.conftest import ARGS, CHROMIUM, csp_violations, log_in
from tests.previews.voice_recordings import converted, spoken_wav


@pytest.fixture
def microphone_wav(tmp_path, db) -> Path:
    # Chromium reads the fake capture file as 16-bit PCM; 48 kHz is its capture rate
    return converted(spoken_wav(tmp_path / "voice.wav"), tmp_path / "microphone.wav", "-ar", "48000", "-ac", "1",
                     "-c:a", "pcm_s16le")


def test_recording_in_the_editor_fills_the_narration_box(live_server, alice, alice_project, worker, microphone_wav):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    chapter = services.chapter_create(project=alice_project, title="Backups")
    services.step_create(chapter=chapter, caption={"en": "Turn on backups"}, duration=2.0)
    with wave.open(str(microphone_wav)) as wav:
        seconds = wav.getnframes() / wav.getframerate()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            *ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={microphone_wav}%noloop"])
        try:
            context = chromium.new_context(base_url=live_server.url)
            context.set_default_timeout(20_000)
            blocked = csp_violations(context)
            log_in(context, alice, live_server.url)
            page = context.new_page()
            errors = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(f"/chapters/{chapter.pk}/")
            page.get_by_role("button", name="Record the English narration of step 1").click()
            status = page.get_by_role("group", name="Your own voice (English)")  # its live line says what happens
            expect(status).to_contain_text("Recording…")
            page.wait_for_timeout(int((seconds + 0.5) * 1000))
            page.get_by_role("button", name="Stop the English narration of step 1").click()
            box = page.get_by_role("form", name="Step 1").get_by_label("Narration (English)")
            expect(box).to_have_value(re.compile(r"settings.*backups", re.IGNORECASE), timeout=120_000)
            expect(status).to_contain_text("transcribed into the box")

            page.reload()
            expect(page.get_by_role("group", name="Your own voice (English)")).to_contain_text(
                re.compile(r"Your recording \([\d.]+ s\) is the English narration"))
            expect(page.get_by_label("Your English recording of step 1")).to_be_visible()
            page.set_viewport_size({"width": 390, "height": 844})  # the recording's controls fit a phone
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            assert errors == [] and blocked == []
        finally:
            chromium.close()
