"""Variants side by side: a chapter keeps one current video per shape and resolution. Generating a
portrait or square video never supersedes the landscape one; a newer video of the same shape and
resolution does. The API, the project and chapter pages and the watch page show each variant."""

from __future__ import annotations

import io

import av
import pytest

from previews.models import Video
from tests.previews.helpers import chapter_with_steps, download
from tests.previews.test_videos import _generate, _wait
from tests.studio.test_projects import _text

pytestmark = pytest.mark.django_db(transaction=True)


def _made(api, project_id: int, chapter_id: int, **shape) -> dict:
    accepted = _generate(api, project_id, chapter_id, resolution="480p", **shape)
    assert _wait(api, accepted["jobId"])["status"] == "succeeded"
    return accepted


def test_each_shape_keeps_its_own_current_video(alice_api, alice_project, worker, client, alice):
    chapter = chapter_with_steps(alice_api, alice_project.id, [{"caption": "Open the settings", "duration": 1}])
    landscape = _made(alice_api, alice_project.id, chapter["id"])
    portrait = _made(alice_api, alice_project.id, chapter["id"], aspect="9:16")
    square = _made(alice_api, alice_project.id, chapter["id"], aspect="1:1")
    assert not Video.objects.filter(superseded_at__isnull=False).exists(), "no shape replaced another"

    newer_portrait = _made(alice_api, alice_project.id, chapter["id"], aspect="9:16")
    assert Video.objects.get(pk=portrait["videoId"]).superseded_at is not None
    assert Video.objects.get(pk=landscape["videoId"]).superseded_at is None

    listed = alice_api.get(f"/api/chapters/{chapter['id']}/videos").json()["videos"]
    assert [(v["videoId"], v["variant"], v["upToDate"], v["superseded"]) for v in listed] == [
        (landscape["videoId"], "16:9 landscape · 480p", True, False),
        (newer_portrait["videoId"], "9:16 portrait · 480p", True, False),
        (square["videoId"], "1:1 square · 480p", True, False)]
    # each variant is the shape it says
    sizes = []
    for variant in listed:
        with av.open(io.BytesIO(download(alice_api, variant["urls"]["download"]))) as container:
            stream = container.streams.video[0]
            sizes.append((stream.width, stream.height))
    assert sizes == [(854, 480), (480, 854), (480, 480)]

    client.force_login(alice)
    project_text = _text(client.get(f"/projects/{alice_project.id}/"))
    for name in ("16:9 landscape · 480p", "9:16 portrait · 480p", "1:1 square · 480p"):
        assert f"Video up to date · Watch Chapter, {name} · 0:0" in project_text, project_text
    chapter_text = _text(client.get(f"/chapters/{chapter['id']}/"))
    assert "9:16 portrait · 480p: the current video is up to date." in chapter_text
    watch = _text(client.get(f"/videos/{landscape['videoId']}/"))
    assert "16:9 landscape · 480p · also made as 9:16 portrait · 480p , 1:1 square · 480p" in watch



def test_another_users_chapter_videos_are_a_404(alice_project, bob_api, alice_api):
    chapter = chapter_with_steps(alice_api, alice_project.id, [{"caption": "Mine", "duration": 1}])
    response = bob_api.get(f"/api/chapters/{chapter['id']}/videos")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_the_editor_says_a_duration_is_a_minimum_and_shows_each_steps_real_length(alice_api, alice_project, worker,
                                                                                 client, alice):
    chapter = chapter_with_steps(alice_api, alice_project.id, [
        {"caption": "Short", "duration": 1, "narration": {"en": "This narration takes longer than one second to say."}},
        {"caption": "Silent", "duration": 2}])
    _made(alice_api, alice_project.id, chapter["id"])
    video = Video.objects.get()
    starts, total = video.picture("en")["starts"], video.picture("en")["duration"]
    client.force_login(alice)
    page = _text(client.get(f"/chapters/{chapter['id']}/"))
    assert page.count("At least this long; a step lasts as long as its narration needs.") == 3  # and the new card
    first, second = round(starts[1] - starts[0], 1), round(total - starts[1], 1)
    assert first > 2 and f"In the current video: {first} s in English." in page
    assert f"In the current video: {second} s in English." in page
