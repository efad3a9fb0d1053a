"""The preview API without a worker: validation, dry runs, idempotency, backpressure, isolation."""

from __future__ import annotations

import json

import pytest
from django_q.brokers import get_broker

from contentizer.jobs.models import Job
from previews.timeline import Timeline, TimelineError
from tests import media
from tests.previews.helpers import RED, download, post_preview, three_colour_chapter, upload


@pytest.fixture
def chapter(alice_api, alice_project) -> dict:
    return three_colour_chapter(alice_api, alice_project.id)


def test_a_dry_run_returns_the_manifest_without_running_ffmpeg(alice_api, alice_project, chapter, settings, tmp_path):
    settings.FFMPEG_BINARY = str(tmp_path / "no-ffmpeg-here")  # any FFmpeg call would fail
    queued = get_broker().queue_size()
    response = post_preview(alice_api, alice_project.id, {"chapterId": chapter["id"]}, dryRun=True)
    assert response.status_code == 202, response.json()
    status = alice_api.get(response.json()["statusUrl"]).json()
    assert status["status"] == "succeeded" and status["dryRun"] is True
    manifest = json.loads(download(alice_api, response.json()["artifactUrl"]))
    assert manifest["output"] | {"width": 854, "height": 480, "fps": 30} == manifest["output"]
    assert manifest["duration"] == pytest.approx(5.0)  # 3 x 2 s minus two 0.5 s transitions
    assert [(s["start"], s["end"]) for s in manifest["scenes"]] == [(0.0, 2.0), (1.5, 3.5), (3.0, 5.0)]
    assert [s["transition"]["type"] for s in manifest["scenes"]] == ["dissolve", "fadeblack", "cut"], "fade is an alias"
    assert all(len(s["asset"]) == 64 for s in manifest["scenes"])
    assert manifest["scenes"][0]["step"].startswith("step 1 (id ")
    assert manifest["estimatedRenderSeconds"] > 0
    assert get_broker().queue_size() == queued, "a dry run needs no worker"


def test_ad_hoc_steps_override_the_chapter_and_name_assets_by_hash(alice_api, alice_project, chapter):
    image = upload(alice_api, alice_project.id, "x.png", media.image_bytes("PNG", color=RED))
    response = post_preview(alice_api, alice_project.id, {
        "chapterId": chapter["id"], "assets": [image["sha256"]],
        "steps": [{"caption": "Only", "asset": image["sha256"], "duration": 1.5},
                  {"caption": "Title card", "duration": 1}],
    }, dryRun=True)
    manifest = json.loads(download(alice_api, response.json()["artifactUrl"]))
    assert [s["type"] for s in manifest["scenes"]] == ["image", "title"]
    # new steps cross-fade by default (0.5 s)
    assert manifest["scenes"][0]["asset"] == image["sha256"] and manifest["duration"] == 2.0
    assert manifest["scenes"][0]["transition"] == {"type": "crossfade", "duration": 0.5}


def test_resubmitting_a_request_id_or_job_id_returns_the_same_job(alice_api, alice_project, chapter):
    first = post_preview(alice_api, alice_project.id, {"chapterId": chapter["id"]}, requestId="r-1")
    again = post_preview(alice_api, alice_project.id, {"chapterId": chapter["id"]}, requestId="r-1")
    assert first.status_code == 202 and again.status_code == 200
    assert again.json()["jobId"] == first.json()["jobId"]
    job_id = "3f1d2c4e-5b6a-4c7d-8e9f-0a1b2c3d4e5f"
    made = post_preview(alice_api, alice_project.id, {"chapterId": chapter["id"]}, jobId=job_id)
    assert made.status_code == 202 and made.json()["jobId"] == job_id
    assert post_preview(alice_api, alice_project.id, {"chapterId": chapter["id"]}, jobId=job_id).status_code == 200
    assert Job.objects.count() == 2


def test_it_answers_429_with_retry_after_once_the_queue_is_full(alice_api, alice_project, chapter, settings):
    settings.PREVIEW_QUEUE_MAX = 2
    codes = [post_preview(alice_api, alice_project.id, {"chapterId": chapter["id"]}).status_code for _ in range(2)]
    refused = post_preview(alice_api, alice_project.id, {"chapterId": chapter["id"]})
    assert codes == [202, 202] and refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert refused.json()["error"]["code"] == "queue_full"
    assert Job.objects.count() == 2


def test_the_artifact_is_409_until_the_render_is_done(alice_api, alice_project, chapter):
    job = post_preview(alice_api, alice_project.id, {"chapterId": chapter["id"]}).json()
    response = alice_api.get(job["artifactUrl"])
    assert response.status_code == 409 and response.json()["error"]["details"]["status"] == "queued"


@pytest.mark.parametrize(
    ("request_body", "field"),
    [
        ({"steps": [{"duration": 1, "asset": "999999"}]}, "step 1.asset"),
        ({"steps": [{"duration": 1, "asset": "f" * 64}]}, "step 1.asset"),
        ({"steps": [{"duration": 1, "transition": "dissolve", "transitionDuration": 1},
                    {"duration": 0.8}]}, "scenes[1].duration"),
        ({"steps": [{"duration": 1}], "audio": {"music": {"asset": "12345"}}}, "audio.music.asset"),
    ],
)
def test_it_names_the_offending_field_of_a_bad_timeline(alice_api, alice_project, request_body, field):
    response = post_preview(alice_api, alice_project.id, request_body)
    assert response.status_code == 422, response.json()
    assert response.json()["error"]["code"] == "invalid_timeline"
    assert field in response.json()["error"]["details"]["fields"]
    assert Job.objects.count() == 0


def test_it_refuses_unknown_fields_and_a_request_without_steps(alice_api, alice_project):
    assert post_preview(alice_api, alice_project.id, {"steps": [{"duration": 1, "colour": "red"}]}).status_code == 400
    response = post_preview(alice_api, alice_project.id, {})
    assert response.status_code == 400 and response.json()["error"]["code"] == "validation_error"


def test_another_users_project_chapter_and_job_are_404(alice_api, bob_api, alice_project, bob_project, chapter):
    assert post_preview(bob_api, alice_project.id, {"chapterId": chapter["id"]}).status_code == 404
    assert post_preview(bob_api, bob_project.id, {"chapterId": chapter["id"]}).status_code == 404
    job = post_preview(alice_api, alice_project.id, {"chapterId": chapter["id"]}, dryRun=True).json()
    for suffix in ("status", "artifact"):
        assert bob_api.get(f"/api/preview/{job['jobId']}/{suffix}").status_code == 404
    assert bob_api.post(f"/api/preview/{job['jobId']}/cancel").status_code == 404


def test_cancelling_a_queued_preview(alice_api, alice_project, chapter):
    job = post_preview(alice_api, alice_project.id, {"chapterId": chapter["id"]}).json()
    response = alice_api.post(f"/api/preview/{job['jobId']}/cancel")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert alice_api.post(f"/api/preview/{job['jobId']}/cancel").status_code == 409
    assert alice_api.post(f"/api/preview/{job['jobId']}/retry").json()["status"] == "queued"


def test_the_timeline_round_trips_and_keys_its_cache_by_content():
    data = {"version": 1, "output": {"width": 854, "height": 480, "fps": 30},
            "scenes": [{"type": "title", "title": "Hi", "duration": 2,
                        "transition": {"type": "dissolve", "duration": 0.5}},
                       {"type": "color", "color": "#000000", "duration": 1}],
            "audio": {"music": {"asset": "a" * 64, "volume": 0.2}}}
    timeline = Timeline.parse(data)
    assert Timeline.parse(timeline.to_dict()) == timeline
    assert Timeline.parse(timeline.to_dict()).cache_key() == timeline.cache_key()
    changed = {**data, "output": {**data["output"], "fps": 25}}
    assert Timeline.parse(changed).cache_key() != timeline.cache_key()
    with pytest.raises(TimelineError) as caught:
        Timeline.parse({**data, "version": 4, "scenes": [{"type": "image", "duration": -1}]})
    assert {"version", "scenes[0]", "scenes[0].duration"} <= set(caught.value.problems)


def test_the_dashboard_submits_a_preview_and_shows_the_job(client, alice, alice_project, alice_api, chapter):
    client.force_login(alice)
    response = client.post(f"/chapters/{chapter['id']}/preview/", {"dry_run": "1"})
    assert response.status_code == 302 and "/jobs/" in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert "Succeeded" in page and "Open the menu" in page and "dissolve" in page
    listing = client.get("/jobs/?status=succeeded").content.decode()
    assert "preview" in listing and "(dry run)" in listing


def test_old_previews_expire_and_their_artifact_answers_410(alice_api, alice_project, chapter, settings):
    from datetime import timedelta

    from django.utils import timezone

    from previews.services import previews_expire
    from tests.conftest import stored_keys

    job = post_preview(alice_api, alice_project.id, {"chapterId": chapter["id"]}, dryRun=True).json()
    assert any(key.startswith("previews/") for key in stored_keys())
    Job.objects.filter(pk=job["jobId"]).update(finished_at=timezone.now() - timedelta(days=2))
    assert previews_expire() >= 1
    assert not any(key.startswith("previews/") for key in stored_keys())
    response = alice_api.get(job["artifactUrl"])
    assert response.status_code == 410 and response.json()["error"]["code"] == "expired"


@pytest.mark.parametrize(
    ("durations", "transition"), [([2.35] * 40, 0.0), ([32.5 / 6] * 6, 0.5), ([1.01, 2.02, 0.99], 0.3)]
)
def test_frame_spans_add_up_to_the_timeline_without_drift(durations, transition):
    scenes = [{"type": "title", "duration": d, **({"transition": {"type": "crossfade", "duration": transition}}
                                                  if transition and i < len(durations) - 1 else {})}
              for i, d in enumerate(durations)]
    timeline = Timeline.parse({"version": 1, "output": {"width": 64, "height": 64, "fps": 30}, "scenes": scenes})
    spans = timeline.spans()
    # output frames: every scene, less one overlap per transition (a head is the previous tail)
    assert sum(frames - head for frames, head, _ in spans) == timeline.frames()
    assert all(head == previous[2] for (_, head, _), previous in zip(spans[1:], spans, strict=False))
    shown = 0
    for (frames, head, _), start in zip(spans, timeline.starts(), strict=True):  # each starts on its own frame
        assert shown - head == timeline.frame_at(start)
        shown += frames - head
