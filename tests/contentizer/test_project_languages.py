"""Project languages: an ordered list of BCP 47 codes whose first is the videos' default track."""

from __future__ import annotations

import m3u8
import pytest

from contentizer.models import Project
from previews.videos import services as videos
from tests.previews.helpers import chapter_with_steps


def test_a_new_project_speaks_english_unless_told_otherwise(alice_api):
    response = alice_api.post("/api/projects", {"title": "Plain"}, format="json")
    assert response.status_code == 201 and response.json()["languages"] == ["en"]


def test_languages_keep_the_order_they_were_given_in(alice_api):
    created = alice_api.post("/api/projects", {"title": "Two", "languages": ["de", "en", "pt-BR"]}, format="json")
    assert created.json()["languages"] == ["de", "en", "pt-BR"]
    patched = alice_api.patch(f"/api/projects/{created.json()['id']}", {"languages": ["en", "de"]}, format="json")
    assert patched.status_code == 200 and Project.objects.get().languages == ["en", "de"]


@pytest.mark.parametrize(("languages", "message"), [
    (["en", "Elvish tongue"], "Not languages (use a name like 'German' or a BCP 47 code like 'de' or 'pt-BR'): "
                              "Elvish tongue"),
    (["en", "English"], "Each language may be listed once: en"),  # a name is its code
    (["en", "de-AT", "de-at"], "Each language may be listed once: de-at"),
    ([], "Ensure this field has at least 1 elements."),
    (["x" * 40], "Ensure this field has no more than 35 characters."),
])
def test_bad_languages_are_400_in_the_same_words_as_narration(alice_api, languages, message):
    response = alice_api.post("/api/projects", {"title": "Bad", "languages": languages}, format="json")
    assert response.status_code == 400
    errors = response.json()["error"]["details"]["fields"]["languages"]
    assert message in (errors if isinstance(errors, list) else [m for ms in errors.values() for m in ms])
    assert Project.objects.count() == 0


def test_narration_codes_follow_the_same_rule(alice_api, alice_project):
    chapter = alice_api.post(f"/api/projects/{alice_project.id}/chapters", {"title": "C"}, format="json").json()
    response = alice_api.post(f"/api/chapters/{chapter['id']}/steps", {"narration": {"English": "Hi"}}, format="json")
    assert response.json()["error"]["details"]["fields"]["narration"] == [
        "Not language codes (use BCP 47, like 'en' or 'pt-BR'): English"]


@pytest.mark.parametrize(("project_languages", "narrated", "expected"), [
    (["en", "de"], ["de", "en"], ["en", "de"]),  # alphabetical would put German first
    (["de", "en"], ["en", "de"], ["de", "en"]),
    (["fr", "en"], ["en"], ["en"]),  # narrated ones only
    (["en"], ["en", "it", "de"], ["en", "de", "it"]),  # unlisted narrated languages follow, sorted
    (["es", "en"], [], ["es"]),  # nothing narrated: a silent track in the first language
])
def test_default_video_languages_follow_the_project_order(alice, project_languages, narrated, expected):
    from contentizer import services

    project = services.project_create(owner=alice, title="Order", languages=project_languages)
    chapter = services.chapter_create(project=project, title="C")
    services.step_create(chapter=chapter, narration={lang: f"text {lang}" for lang in narrated})
    services.step_create(chapter=chapter, narration={})
    assert videos._check_languages(chapter, None) == expected


@pytest.mark.django_db(transaction=True)
def test_the_first_project_language_is_the_default_audio_and_subtitle_track(alice_api, worker, tmp_path):
    import av

    from tests.previews.test_videos import _generate, _wait

    project = alice_api.post("/api/projects", {"title": "Zweisprachig", "languages": ["de", "en"]},
                             format="json").json()
    chapter = chapter_with_steps(alice_api, project["id"], [
        {"caption": {"de": "Eins", "en": "One"}, "duration": 1, "narration": {"en": "One.", "de": "Eins."}},
        {"caption": {"de": "Zwei", "en": "Two"}, "duration": 1, "narration": {"en": "Two.", "de": "Zwei."}},
    ])
    accepted = _generate(alice_api, project["id"], chapter["id"])  # no languages: the project decides
    assert _wait(alice_api, accepted["jobId"])["status"] == "succeeded"
    video = alice_api.get(f"/api/videos/{accepted['videoId']}").json()
    assert video["languages"] == ["de", "en"]
    mp4 = tmp_path / "v.mp4"
    mp4.write_bytes(b"".join(alice_api.get(video["urls"]["download"]).streaming_content))
    # the default download and HLS master are the first language's picture; each language has its own
    with av.open(str(mp4)) as container:
        audio = [(s.language, bool(s.disposition & av.stream.Disposition.default)) for s in container.streams.audio]
        subtitles = [s.language for s in container.streams.subtitles]
    assert audio == [("deu", True)] and subtitles == ["deu", "eng"]
    master = m3u8.loads(b"".join(alice_api.get(video["urls"]["hls"]).streaming_content).decode())
    tracks = [(m.type, m.language, m.default) for m in master.media]
    assert tracks == [("AUDIO", "de", "YES"), ("SUBTITLES", "de", "YES"), ("SUBTITLES", "en", "NO")]
    assert video["urls"]["pictures"]["en"]["hls"].endswith("/hls/en/master.m3u8")


@pytest.mark.parametrize(("written", "stored"), [
    (["English", "Deutsch", "de-AT"], ["en", "de", "de-AT"]),
    (["german", "Portuguese (Brazil)", "français", "日本語"], ["de", "pt-BR", "fr", "ja"]),
    (["EN", "KO", "Pt-br", "HU"], ["en", "ko", "pt-BR", "hu"]),  # codes in capitals, never names ("EN" ≠ Enets)
])
def test_languages_may_be_named_in_english_or_in_themselves_and_are_stored_as_codes(alice_api, written, stored):
    response = alice_api.post("/api/projects", {"title": "Named", "languages": written}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["languages"] == stored == Project.objects.get().languages


def test_the_studio_takes_names_and_shows_names(client, alice):
    client.force_login(alice)
    response = client.post("/projects/new", {"title": "Tyres", "languages": "English, Deutsch; Portuguese (Brazil)"})
    project = Project.objects.get()
    assert response.status_code == 302 and project.languages == ["en", "de", "pt-BR"]
    page = client.get(f"/projects/{project.pk}/").content.decode()
    assert "English (default), German, Portuguese (Brazil)" in page
