"""Nothing missing goes unnoticed (issue 18.3): a language lacking a caption or narration another
language has is reported by the API, marked in the studio, and refused at generate unless the
request says to fall back."""

from __future__ import annotations

import re

import pytest

from contentizer.jobs.models import Job
from contentizer.models import Project, Step
from previews.models import Video
from tests.previews.helpers import chapter_with_steps

pytestmark = pytest.mark.django_db

STEPS = [
    {"caption": {"en": "Wheel", "de": "Rad"}, "narration": {"en": "Take the wheel off.", "de": "Rad abnehmen."}},
    {"caption": {"en": "Tube", "de": "Schlauch"}, "narration": {"en": "Find the hole."}},  # no German narration
    {"caption": {"en": "Patch"}, "narration": {"en": "Glue the patch.", "de": "Flicken kleben."}},  # no German caption
    {"caption": {}, "narration": {}},  # a silent title card: nothing to miss
]


@pytest.fixture
def gappy(alice_api, alice) -> tuple[Project, dict]:
    project = Project.objects.create(owner=alice, title="Tyres", languages=["en", "de"])
    chapter = chapter_with_steps(alice_api, project.pk, [{"duration": 2, **step} for step in STEPS])
    return project, chapter


def test_the_completeness_resource_lists_per_language_each_step_and_text_missing(alice_api, gappy):
    _, chapter = gappy
    ids = list(Step.objects.order_by("position").values_list("pk", flat=True))
    response = alice_api.get(f"/api/chapters/{chapter['id']}/completeness")
    assert response.status_code == 200
    assert response.json() == {"chapter": chapter["id"], "languages": [
        {"language": "en", "name": "English", "complete": True, "missing": []},
        {"language": "de", "name": "German", "complete": False, "missing": [
            {"step": ids[1], "number": 2, "fields": ["narration"]},
            {"step": ids[2], "number": 3, "fields": ["caption"]}]}]}


def test_another_users_chapter_completeness_is_a_404(bob_api, gappy):
    _, chapter = gappy
    assert bob_api.get(f"/api/chapters/{chapter['id']}/completeness").status_code == 404


def test_generating_a_language_with_gaps_is_a_422_naming_each_step_and_text(alice_api, gappy):
    project, chapter = gappy
    response = alice_api.post("/api/videos/generate", {"projectId": project.pk, "chapterId": chapter["id"],
                                                       "languages": ["en", "de"]}, format="json")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "incomplete_language"
    # only the narration: a missing caption is shown in another language, as the one caption was before
    assert error["message"].startswith("German lacks step 2's narration.")
    assert '"missing": "fallback"' in error["message"]
    assert [(g["number"], g["fields"]) for g in error["details"]["languages"]["de"]] == [(2, ["narration"])]
    assert not Video.objects.exists() and not Job.objects.exists()
    # a complete language alone is fine
    english = alice_api.post("/api/videos/generate", {"projectId": project.pk, "chapterId": chapter["id"],
                                                      "languages": ["en"]}, format="json")
    assert english.status_code == 202
    fallback = alice_api.post("/api/videos/generate", {"projectId": project.pk, "chapterId": chapter["id"],
                                                       "languages": ["en", "de"], "missing": "fallback"},
                              format="json")
    assert fallback.status_code == 202 and Job.objects.get(pk=fallback.json()["jobId"]).payload["missing"] == "fallback"
    wrong = alice_api.post("/api/videos/generate", {"projectId": project.pk, "chapterId": chapter["id"],
                                                    "missing": "silence"}, format="json")
    assert wrong.status_code == 400 and "missing" in wrong.json()["error"]["details"]["fields"]


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_editor_marks_each_missing_text_and_the_chapter_page_lists_them(client, alice, gappy):
    _, chapter = gappy
    ids = list(Step.objects.order_by("position").values_list("pk", flat=True))
    client.force_login(alice)
    html = client.get(f"/chapters/{chapter['id']}/").content.decode()
    assert "German lacks: step 2’s narration , step 3’s caption" in _text(html)
    assert f'id="s{ids[1]}-narration-de-gap"' in html and f'id="s{ids[2]}-caption-de-gap"' in html
    assert f'id="s{ids[0]}-narration-de-gap"' not in html and f'id="s{ids[3]}-caption-de-gap"' not in html
    assert f'aria-describedby="s{ids[1]}-narration-de-gap "' in html  # the box names its mark
    assert f'<textarea id="s{ids[0]}-caption-de" name="caption-de" rows="2" lang="de">Rad</textarea>' in html


def test_the_generate_page_lists_gaps_refuses_them_and_offers_the_fallback(client, alice, gappy):
    _, chapter = gappy
    client.force_login(alice)
    page = _text(client.get(f"/chapters/{chapter['id']}/video/").content.decode())
    assert "German lacks: step 2’s narration , step 3’s caption" in page
    assert "Where a language lacks a text, use English’s text and voice there" in page
    form = {"languages": ["en", "de"], "resolution": "720p", "music": "", "volume": "0.3"}
    refused = client.post(f"/chapters/{chapter['id']}/video/", form)
    assert refused.status_code == 422 and not Video.objects.exists()
    assert "German lacks step 2's narration." in refused.content.decode().replace("&#x27;", "'")
    accepted = client.post(f"/chapters/{chapter['id']}/video/", {**form, "missing": "fallback"})
    video = Video.objects.get()
    assert accepted["Location"] == f"/jobs/{video.job_id}/" and video.job.payload["missing"] == "fallback"


def test_a_machine_translated_text_is_marked_until_edited_or_approved(client, alice, alice_api, gappy):
    _, chapter = gappy
    step = Step.objects.order_by("position").first()
    step.mark_machine_translated("caption", "de")
    step.mark_machine_translated("narration", "de")
    step.save()
    client.force_login(alice)
    html = client.get(f"/chapters/{chapter['id']}/").content.decode()
    assert f'id="s{step.pk}-caption-de-machine">Machine-translated<' in html
    assert 'name="approve" value="narration:de"' in html

    form = {"caption-en": "Wheel", "caption-de": "Rad", "narration-en": "Take the wheel off.",
            "narration-de": "Rad abnehmen.", "duration": "2", "transition": "crossfade", "transitionDuration": "0.5",
            "asset": "", "approve": "caption:de"}
    assert client.post(f"/steps/{step.pk}/", form).status_code == 302
    step.refresh_from_db()
    assert step.machine_translated == {"narration": ["de"]} and step.caption_in("de") == "Rad"

    edited = alice_api.patch(f"/api/steps/{step.pk}", {"narration": {"en": "Take the wheel off.",
                                                                      "de": "Nehmen Sie das Rad ab."}}, format="json")
    assert edited.status_code == 200 and edited.json()["machineTranslated"] == {}
    html = client.get(f"/chapters/{chapter['id']}/").content.decode()
    assert "Machine-translated" not in html


def test_a_missing_caption_alone_is_not_refused_and_the_video_marks_it(alice_api, alice):
    project = Project.objects.create(owner=alice, title="Old", languages=["en", "de"])
    # captions written before captions had languages: the first language's only
    chapter = chapter_with_steps(alice_api, project.pk, [
        {"caption": "Wheel", "duration": 2, "narration": {"en": "Wheel.", "de": "Rad."}}])
    completeness = alice_api.get(f"/api/chapters/{chapter['id']}/completeness").json()
    assert completeness["languages"][1]["missing"][0]["fields"] == ["caption"]
    response = alice_api.post("/api/videos/generate", {"projectId": project.pk, "chapterId": chapter["id"]},
                              format="json")
    assert response.status_code == 202 and Video.objects.get().languages == ["en", "de"]
