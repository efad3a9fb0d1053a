"""Studio: the chapter page's "Translate from English into …" buttons start the same job as
POST /api/chapters/{id}/translate and go to its job page; a language no model serves says so."""

from __future__ import annotations

import re

import pytest

from contentizer.jobs.models import Job
from contentizer.models import Chapter, Step
from tests.studio.test_projects import _text


@pytest.fixture
def chapter(alice_project) -> Chapter:
    alice_project.languages = ["en", "pt-BR", "de"]
    alice_project.save()
    chapter = Chapter.objects.create(project=alice_project, title="Getting started", position=0)
    Step.objects.create(chapter=chapter, position=0, caption={"en": "Press Ctrl+S to save."})
    return chapter


def test_the_chapter_page_offers_a_button_per_language_a_model_translates_into(client, alice, chapter):
    client.force_login(alice)
    text = _text(client.get(f"/chapters/{chapter.pk}/"))
    assert "Translate from English into Portuguese" in text
    assert "Translate from English into German" not in text
    assert "No translation model translates English into German; an operator can add one." in text


def test_the_button_starts_the_job_and_goes_to_its_page(client, alice, chapter):
    client.force_login(alice)
    html = client.get(f"/chapters/{chapter.pk}/").content.decode()
    form = re.search(r'<form method="post" action="(/chapters/\d+/translate)">(.*?)</form>', html, flags=re.S)
    fields = dict(re.findall(r'<input type="hidden" name="(from|to)" value="([^"]+)">', form.group(2)))
    assert fields == {"from": "en", "to": "pt-BR"}
    response = client.post(form.group(1), fields)
    job = Job.objects.get(kind="translate")
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert job.payload["chapterId"] == chapter.pk and job.owner == alice
    page = _text(client.get(response["Location"]))
    assert "Translation en → pt-BR" in page and "Translating into Portuguese" in page


def test_a_refusal_comes_back_to_the_chapter_page_with_its_reason(client, alice, chapter):
    client.force_login(alice)
    response = client.post(f"/chapters/{chapter.pk}/translate", {"from": "en", "to": "de"}, follow=True)
    assert "No translation model translates en into de" in _text(response)
    assert not Job.objects.filter(kind="translate").exists()


def test_another_users_chapter_is_404(client, bob, chapter):
    client.force_login(bob)
    assert client.post(f"/chapters/{chapter.pk}/translate", {"from": "en", "to": "pt-BR"}).status_code == 404
