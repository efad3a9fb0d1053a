"""Studio: projects and chapters (list, create, rename, delete with what goes with it)."""

from __future__ import annotations

import re

from contentizer.models import Chapter, Project, Step
from previews.models import Share, Video
from tests import media
from tests.previews.helpers import chapter_with_steps, upload


def _text(response) -> str:
    """The page's text without tags, spaces collapsed: what a person reads."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("&#x27;", "'").replace("&quot;", '"').split())


def test_the_projects_page_requires_login(client, db):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_an_empty_account_is_told_what_to_do(client, alice):
    client.force_login(alice)
    text = _text(client.get("/"))
    assert "No projects yet. Create your first one below" in text and "New project" in text


def test_a_project_is_created_with_its_languages_in_order(client, alice):
    client.force_login(alice)
    response = client.post("/projects/new", {"title": "Bike repair", "description": "", "languages": "en, de"})
    project = Project.objects.get(owner=alice)
    assert response.status_code == 302 and response["Location"] == f"/projects/{project.pk}/"
    assert (project.title, project.languages) == ("Bike repair", ["en", "de"])
    text = _text(client.get(response["Location"]))
    assert "Languages: English (default), German" in text and "No chapters yet." in text


def test_every_error_of_the_form_shows_at_once_in_the_apis_words(client, alice):
    client.force_login(alice)
    response = client.post("/projects/new", {"title": "", "description": "", "languages": "en, Elvish tongue, en"})
    assert response.status_code == 400 and Project.objects.count() == 0
    html = response.content.decode()
    title_error = re.search(r'id="new-title-error">([^<]+)<', html).group(1)
    languages_error = re.search(r'id="new-languages-error">([^<]+)<', html).group(1)
    assert title_error == "This field may not be blank."
    # "English" is a language now (issue 18.7): a name no one speaks is the invalid entry
    assert languages_error == ("Not languages (use a name like &#x27;German&#x27; or a BCP 47 code like &#x27;de&#x27; "
                               "or &#x27;pt-BR&#x27;): Elvish tongue")
    assert 'aria-describedby="new-title-error"' in html and "2 problems to fix:" in _text(response)
    assert 'value="en, Elvish tongue, en"' in html  # what the author typed stays


def test_the_api_answers_the_same_invalid_project_with_the_same_words(alice_api):
    body = alice_api.post("/api/projects", {"title": "", "languages": ["en", "Elvish tongue"]}, format="json").json()
    assert body["error"]["details"]["fields"] == {
        "title": ["This field may not be blank."],
        "languages": ["Not languages (use a name like 'German' or a BCP 47 code like 'de' or 'pt-BR'): Elvish tongue"]}


def test_a_project_is_renamed_and_its_languages_reordered(client, alice, alice_project):
    client.force_login(alice)
    response = client.post(f"/projects/{alice_project.pk}/edit",
                           {"title": "Renamed", "description": "New words", "languages": "de en"})
    alice_project.refresh_from_db()
    assert response.status_code == 302
    assert (alice_project.title, alice_project.description, alice_project.languages) == (
        "Renamed", "New words", ["de", "en"])


def test_the_delete_confirmation_says_what_goes_with_the_project(client, alice, alice_api, alice_project):
    image = upload(alice_api, alice_project.id, "a.png", media.image_bytes("PNG"))
    chapter_with_steps(alice_api, alice_project.id, [{"asset": image["id"], "duration": 1}, {"duration": 1}])
    chapter_with_steps(alice_api, alice_project.id, [{"duration": 1}])
    client.force_login(alice)
    text = _text(client.get(f"/projects/{alice_project.pk}/delete"))
    assert "Delete “Alice's tutorial”?" in text
    assert "2 chapters and their 3 steps" in text and "1 asset in its library" in text
    assert "0 videos" in text and "0 active share links" in text
    assert Project.objects.filter(pk=alice_project.pk).exists()  # looking deletes nothing
    response = client.post(f"/projects/{alice_project.pk}/delete")
    assert response.status_code == 302 and response["Location"] == "/"
    assert not Project.objects.exists() and not Chapter.objects.exists() and not Step.objects.exists()
    assert not Video.objects.exists() and not Share.objects.exists()


def test_chapters_are_added_renamed_and_deleted_with_a_confirmation(client, alice, alice_project):
    client.force_login(alice)
    response = client.post(f"/projects/{alice_project.pk}/chapters", {"title": "Getting started"})
    chapter = Chapter.objects.get()
    assert response["Location"] == f"/chapters/{chapter.pk}/"
    assert "This chapter has no steps yet." in _text(client.get(response["Location"]))
    blank = client.post(f"/projects/{alice_project.pk}/chapters", {"title": "  "})
    assert blank.status_code == 400 and "This field may not be blank." in _text(blank)
    client.post(f"/chapters/{chapter.pk}/edit", {"title": "First steps"})
    chapter.refresh_from_db()
    assert chapter.title == "First steps"
    Step.objects.create(chapter=chapter, position=0, duration=1)
    text = _text(client.get(f"/chapters/{chapter.pk}/delete"))
    assert "Delete the chapter “First steps”?" in text and "1 step" in text and "stay in the project's library" in text
    assert client.post(f"/chapters/{chapter.pk}/delete")["Location"] == f"/projects/{alice_project.pk}/"
    assert not Chapter.objects.exists() and not Step.objects.exists()


def test_the_project_page_lists_chapters_in_order_with_their_step_counts(client, alice, alice_api, alice_project):
    chapter_with_steps(alice_api, alice_project.id, [{"duration": 1}, {"duration": 1}])
    second = alice_api.post(f"/api/projects/{alice_project.id}/chapters", {"title": "Second"}, format="json").json()
    client.force_login(alice)
    text = _text(client.get(f"/projects/{alice_project.pk}/"))
    assert re.search(r"Chapter 2 steps No video yet\. Second 0 steps No video yet\.", text), text
    assert second["position"] == 1


def test_another_users_projects_and_chapters_are_404_everywhere(client, bob, alice_api, alice_project):
    chapter = chapter_with_steps(alice_api, alice_project.id, [{"duration": 1}])
    client.force_login(bob)
    for path in (f"/projects/{alice_project.pk}/", f"/projects/{alice_project.pk}/delete",
                 f"/projects/{alice_project.pk}/assets/", f"/chapters/{chapter['id']}/",
                 f"/chapters/{chapter['id']}/delete", f"/chapters/{chapter['id']}/video/"):
        assert client.get(path).status_code == 404, path
    for path in (f"/projects/{alice_project.pk}/edit", f"/projects/{alice_project.pk}/delete",
                 f"/projects/{alice_project.pk}/chapters", f"/projects/{alice_project.pk}/export",
                 f"/chapters/{chapter['id']}/edit", f"/chapters/{chapter['id']}/delete",
                 f"/chapters/{chapter['id']}/steps", f"/chapters/{chapter['id']}/preview/"):
        assert client.post(path, {"title": "Mine now"}).status_code == 404, path
    assert Project.objects.get().title == "Alice's tutorial" and Chapter.objects.count() == 1
    assert "Alice" not in _text(client.get("/"))
