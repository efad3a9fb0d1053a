"""The one jobs API for every kind: list, read, cancel, retry, and the event stream."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.test import AsyncClient
from rest_framework.authtoken.models import Token

from contentizer.jobs import services
from contentizer.jobs.models import Job, JobStatus


def _job(owner, project=None, kind="preview", status=JobStatus.QUEUED) -> Job:
    return Job.objects.create(kind=kind, owner=owner, project=project, status=status, payload={})


def test_it_lists_only_your_jobs_filtered_by_kind_status_and_project(alice_api, alice, bob, alice_project):
    mine = _job(alice, alice_project)
    _job(alice, kind="export", status=JobStatus.FAILED)
    _job(bob)
    everything = alice_api.get("/api/v1/jobs").json()
    assert everything["count"] == 2
    assert [j["id"] for j in alice_api.get("/api/v1/jobs?kind=preview").json()["results"]] == [str(mine.pk)]
    assert alice_api.get("/api/v1/jobs?status=failed").json()["count"] == 1
    assert alice_api.get(f"/api/v1/jobs?project={alice_project.id}").json()["count"] == 1
    assert alice_api.get("/api/v1/jobs?status=bogus").status_code == 400


def test_it_reads_a_job_and_404s_another_users(alice_api, bob_api, alice):
    job = _job(alice)
    body = alice_api.get(f"/api/v1/jobs/{job.pk}").json()
    assert body | {"id": str(job.pk), "status": "queued", "kind": "preview", "attempts": 0} == body
    assert bob_api.get(f"/api/v1/jobs/{job.pk}").status_code == 404
    assert bob_api.delete(f"/api/v1/jobs/{job.pk}").status_code == 404
    assert bob_api.post(f"/api/v1/jobs/{job.pk}/retry").status_code == 404


def test_delete_cancels_and_retry_requeues(alice_api, alice):
    job = _job(alice)
    assert alice_api.delete(f"/api/v1/jobs/{job.pk}").json()["status"] == "cancelled"
    assert alice_api.delete(f"/api/v1/jobs/{job.pk}").status_code == 409
    response = alice_api.post(f"/api/v1/jobs/{job.pk}/retry", {}, format="json")
    assert response.status_code == 202 and response.json()["status"] == "queued"
    assert alice_api.post(f"/api/v1/jobs/{job.pk}/retry", {}, format="json").status_code == 409


def test_retry_refuses_resume_from_for_a_kind_without_stages(alice_api, alice):
    job = _job(alice, status=JobStatus.FAILED)
    response = alice_api.post(f"/api/v1/jobs/{job.pk}/retry", {"resumeFrom": "render"}, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "no_stages"


def _events(response) -> Iterator[tuple[str, dict]]:
    buffer = b""
    for chunk in response.streaming_content:
        buffer += chunk
        while b"\n\n" in buffer:
            block, buffer = buffer.split(b"\n\n", 1)
            lines = dict(line.split(": ", 1) for line in block.decode().splitlines() if not line.startswith(":"))
            if lines:
                yield lines["event"], json.loads(lines["data"])


def test_events_stream_progress_until_the_job_ends(alice_api, alice, settings):
    settings.JOB_EVENTS_POLL_SECONDS = 0.01
    job = _job(alice)
    # each change is made once the stream has told the previous state: no race with the clock
    changes = [{"status": JobStatus.RUNNING, "progress": 40, "stage": "render"},
               {"status": JobStatus.SUCCEEDED, "progress": 100, "stage": "done"}]
    response = alice_api.get(f"/api/v1/jobs/{job.pk}/events", HTTP_ACCEPT="text/event-stream")
    assert response.status_code == 200 and response["Content-Type"] == "text/event-stream"
    events = []
    for name, data in _events(response):
        events.append((name, data))
        if changes:
            Job.objects.filter(pk=job.pk).update(**changes.pop(0))
        if name == "end":
            break
    assert [(name, data["status"]) for name, data in events] == [
        ("progress", "queued"), ("progress", "running"), ("progress", "succeeded"), ("end", "succeeded"),
    ]
    assert events[1][1]["progress"] == 40 and events[1][1]["stage"] == "render"
    assert events[3][1] == alice_api.get(f"/api/v1/jobs/{job.pk}").json()  # the job resource itself


def test_events_of_another_users_job_are_404(bob_api, alice):
    assert bob_api.get(f"/api/v1/jobs/{_job(alice).pk}/events", HTTP_ACCEPT="text/event-stream").status_code == 404


def test_the_job_list_counts_cancellations_through_the_service(alice_api, alice):
    job = _job(alice)
    services.job_cancel(job=job)
    assert alice_api.get("/api/v1/jobs?status=cancelled").json()["results"][0]["id"] == str(job.pk)


@pytest.mark.django_db(transaction=True)
def test_under_asgi_the_event_stream_is_asynchronous(alice, settings):
    """Under the ASGI server (./bin/start) an open stream waits on the event loop between looks
    instead of holding a worker thread: twenty of them leave the API responsive."""
    settings.JOB_EVENTS_POLL_SECONDS = 0.05
    job = _job(alice)
    token = Token.objects.create(user=alice)

    async def read() -> list[bytes]:
        response = await AsyncClient().get(f"/api/v1/jobs/{job.pk}/events", headers={
            "Authorization": f"Token {token.key}", "Accept": "text/event-stream"})
        assert response.status_code == 200 and response.is_async
        chunks = []
        async for chunk in response.streaming_content:
            chunks.append(chunk)
            if len(chunks) == 1:
                await sync_to_async(Job.objects.filter(pk=job.pk).update)(status=JobStatus.SUCCEEDED, progress=100)
            if chunk.startswith(b"event: end"):
                return chunks
        return chunks

    chunks = async_to_sync(read)()
    assert [c.split(b"\n", 1)[0] for c in chunks] == [b"event: progress", b"event: progress", b"event: end"]
    assert json.loads(chunks[-1].split(b"data: ", 1)[1])["status"] == "succeeded"
