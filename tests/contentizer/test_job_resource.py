"""One job resource: /api/v1/jobs/{id} for every kind, the kinds' status routes as aliases."""

from __future__ import annotations

import io
import re
from urllib.parse import parse_qs, urlsplit

import av
import pytest

from contentizer.jobs import registry, runner, services
from contentizer.jobs.errors import PermanentJobError, TransientJobError
from contentizer.jobs.models import Job, JobStatus
from tests.conftest import wait_for
from tests.previews.helpers import download, post_preview, three_colour_chapter

COMMON = {"id", "kind", "status", "progress", "stage", "attempts", "maxAttempts", "error", "failure", "projectId",
          "requestId", "createdAt", "startedAt", "finishedAt", "queuedSeconds", "runSeconds", "links", "result"}
# what each kind's old status route answered, kept at the top level
LEGACY = {"preview": {"jobId", "dryRun", "timings", "artifactUrl"},
          "video": {"percent", "currentStage", "stages", "pieces"},  # pieces: a long video's piece jobs
          "export": {"exportId", "bytesWritten", "size", "errors", "expired", "downloadUrl", "signedUrl"},
          "import": set(), "translate": set(), "transcribe": set(), "dub": {"stages"},
          "recording_chapter": set()}
RESULT = {"preview": {"dryRun", "artifactUrl", "mime", "size", "duration", "expired"},
          "video": {"videoId", "chapterId", "resolution", "languages", "duration", "size", "urls", "stages"},
          "export": {"exportId", "bytesWritten", "size", "files", "expired", "downloadUrl", "signedUrl"},
          "import": {"projectId", "title", "chapters", "assets", "videos", "warnings", "uploadSize"},
          "translate": {"chapterId", "from", "to", "model", "filled", "protectedSpans", "steps"},
          "transcribe": {"stepId", "language", "narration", "text", "model", "seconds"},
          "dub": {"dubId", "videoId", "sourceLanguage", "targetLanguages", "segments", "segmentsSpedUp",
                  "grownSeconds", "synthesized", "reused", "stages"},
          "recording_chapter": {"chapterId", "title", "language", "steps", "sceneChanges", "parts"}}
ALIASES = {"preview": "/api/preview/{}/status", "video": "/api/videos/jobs/{}/status", "export": "/api/export/{}"}
RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def _unsigned(body: dict) -> dict:
    """A signed URL is signed anew (with the time) on every read: compare it without its signature."""
    def strip(url):
        return url and url.split("?signature=")[0]
    out = {**body, "signedUrl": strip(body.get("signedUrl"))}
    if "result" in body:
        out["result"] = {**body["result"], "signedUrl": strip(body["result"].get("signedUrl"))}
    return out


def _one_job_of_each_kind(api, project, av_dir) -> dict[str, str]:
    chapter = three_colour_chapter(api, project.id)
    narrated = api.post(f"/api/chapters/{chapter['id']}/steps", {"caption": "Say it", "duration": 1.0,
                                                                 "narration": {"en": "Hello."}}, format="json")
    assert narrated.status_code == 201, narrated.json()
    dry = post_preview(api, project.id, {"chapterId": chapter["id"]}, dryRun=True).json()
    video = api.post("/api/videos/generate", {"projectId": project.id, "chapterId": chapter["id"]}, format="json")
    export = api.post("/api/export", {"projectId": project.id}, format="json")
    with open(av_dir / "tone.wav", "rb") as fh:  # not a zip: the import job would fail when it runs
        imported = api.post("/api/import", {"file": fh}, format="multipart")
    project.languages = ["en", "pt"]
    project.save()
    translated = api.post(f"/api/chapters/{chapter['id']}/translate", {"from": "en", "to": "pt"}, format="json")
    with open(av_dir / "tone.wav", "rb") as fh:
        tone = api.post(f"/api/projects/{project.id}/assets", {"file": fh}, format="multipart").json()
    recorded = api.put(f"/api/steps/{narrated.json()['id']}/narration/en/recording", {"asset": tone["id"]},
                       format="json")
    assert (video.status_code, export.status_code, imported.status_code, translated.status_code,
            recorded.status_code) == (202,) * 5
    chaptered = api.post(f"/api/projects/{project.id}/chapters/from-recording", {"asset": tone["id"]}, format="json")
    assert chaptered.status_code == 202, chaptered.json()
    return {"preview": dry["jobId"], "video": video.json()["jobId"], "export": export.json()["exportId"],
            "import": imported.json()["id"], "translate": translated.json()["id"],
            "transcribe": recorded.json()["job"]["id"], "recording_chapter": chaptered.json()["id"]}


def test_every_kind_has_the_same_fields_and_a_result_typed_for_its_kind(alice_api, alice_project, av_dir):
    jobs = _one_job_of_each_kind(alice_api, alice_project, av_dir)
    for kind, job_id in jobs.items():
        body = alice_api.get(f"/api/v1/jobs/{job_id}").json()
        assert body["kind"] == kind and body["id"] == job_id
        assert set(body) == COMMON | LEGACY[kind], kind
        assert set(body["result"]) == RESULT[kind], kind
        assert body["links"]["self"] == f"/api/v1/jobs/{job_id}"
        assert body["links"]["events"] == f"/api/v1/jobs/{job_id}/events"
        assert body["links"]["status"] == (ALIASES[kind].format(job_id) if kind in ALIASES else body["links"]["self"])
        assert RFC3339_UTC.match(body["createdAt"]), body["createdAt"]
    listed = alice_api.get("/api/v1/jobs").json()["results"]
    assert sorted(j["kind"] for j in listed) == sorted(jobs)
    assert {j["id"]: j for j in listed}[jobs["preview"]] == alice_api.get(f"/api/v1/jobs/{jobs['preview']}").json()


def test_the_kinds_status_routes_answer_the_canonical_body(alice_api, alice_project, av_dir):
    jobs = _one_job_of_each_kind(alice_api, alice_project, av_dir)
    for kind, route in ALIASES.items():
        alias = alice_api.get(route.format(jobs[kind]))
        assert alias.status_code == 200
        assert _unsigned(alias.json()) == _unsigned(alice_api.get(f"/api/v1/jobs/{jobs[kind]}").json()), kind


def test_the_kinds_status_routes_404_other_kinds_and_other_users(alice_api, bob_api, alice_project, av_dir):
    jobs = _one_job_of_each_kind(alice_api, alice_project, av_dir)
    for kind, route in ALIASES.items():
        assert bob_api.get(route.format(jobs[kind])).status_code == 404
        for other in set(jobs) - {kind}:
            assert alice_api.get(route.format(jobs[other])).status_code == 404, (kind, other)
    for job_id in jobs.values():
        assert bob_api.get(f"/api/v1/jobs/{job_id}").status_code == 404
    assert bob_api.get("/api/v1/jobs").json()["count"] == 0


def test_cancel_and_retry_through_a_kinds_routes_answer_the_canonical_body(alice_api, alice_project):
    chapter = three_colour_chapter(alice_api, alice_project.id)
    job_id = post_preview(alice_api, alice_project.id, {"chapterId": chapter["id"]}).json()["jobId"]
    cancelled = alice_api.post(f"/api/preview/{job_id}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert set(cancelled.json()) == COMMON | LEGACY["preview"]
    retried = alice_api.post(f"/api/preview/{job_id}/retry")
    assert retried.status_code == 202 and retried.json() == alice_api.get(f"/api/v1/jobs/{job_id}").json()


@pytest.mark.django_db(transaction=True)
def test_finished_jobs_read_the_same_on_every_route_and_their_links_work(alice_api, alice_project, worker):
    preview = post_preview(alice_api, alice_project.id, {"steps": [{"caption": "Hello", "duration": 1.0}]}).json()
    export = alice_api.post("/api/export", {"projectId": alice_project.id}, format="json").json()
    done = {}
    for job_id in (preview["jobId"], export["exportId"]):
        done[job_id] = wait_for(lambda j=job_id: (b := alice_api.get(f"/api/v1/jobs/{j}").json())["status"]
                                not in ("queued", "running") and b, timeout=90, interval=0.3)
    body = done[preview["jobId"]]
    assert body["status"] == "succeeded" and body["failure"] is None, body
    assert alice_api.get(f"/api/preview/{preview['jobId']}/status").json() == body
    assert body["links"]["artifact"] == body["result"]["artifactUrl"] == body["artifactUrl"]
    assert body["result"]["mime"] == "video/mp4" and RFC3339_UTC.match(body["finishedAt"])
    with av.open(io.BytesIO(download(alice_api, body["links"]["artifact"]))) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert abs(container.duration / 1e6 - 1.0) <= 1 / 30
    body = done[export["exportId"]]
    assert body["status"] == "succeeded", body
    assert _unsigned(alice_api.get(f"/api/export/{export['exportId']}").json()) == _unsigned(body)
    assert body["result"]["size"] == body["size"] == body["bytesWritten"] > 0
    signed = urlsplit(body["result"]["signedUrl"])
    assert parse_qs(signed.query)["signature"]
    anonymous = alice_api.__class__()
    zipped = anonymous.get(body["result"]["signedUrl"])
    assert zipped.status_code == 200 and b"".join(zipped.streaming_content)[:4] == b"PK\x03\x04"


def test_the_schema_types_the_job_resource_once_per_kind(client):
    schema = client.get("/api/schema/?format=json").json()
    components = schema["components"]["schemas"]
    job = components["Job"]
    assert job["discriminator"]["propertyName"] == "kind"
    assert set(job["discriminator"]["mapping"]) == {"preview", "video", "export", "import", "translate", "dub",
                                                    "transcribe", "recording_chapter"}
    for kind, ref in job["discriminator"]["mapping"].items():
        component = components[ref.rsplit("/", 1)[1]]
        assert COMMON | LEGACY[kind] <= set(component["properties"])
        assert "$ref" in str(component["properties"]["result"])
        assert set(component["required"]) >= COMMON
    paths = schema["paths"]

    def ok(path: str, method: str = "get", code: str = "200") -> dict:
        return paths[path][method]["responses"][code]["content"]["application/json"]["schema"]

    assert ok("/api/v1/jobs/{jobId}") == {"$ref": "#/components/schemas/Job"}
    assert ok("/api/preview/{jobId}/status") == {"$ref": "#/components/schemas/PreviewJob"}
    assert ok("/api/videos/jobs/{jobId}/status") == {"$ref": "#/components/schemas/VideoJob"}
    assert ok("/api/export/{exportId}") == {"$ref": "#/components/schemas/ExportJob"}
    assert ok("/api/import", "post", "202") == {"$ref": "#/components/schemas/ImportJob"}
    assert components["PaginatedJobList"]["properties"]["results"]["items"] == {"$ref": "#/components/schemas/Job"}


# --- failures, through the runner with a scripted kind -------------------------------------------

@pytest.fixture
def scripted(settings):
    settings.JOB_BACKOFF_BASE_SECONDS = 0
    outcomes: list = []

    def run(ctx):
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    registry.register(registry.JobKind(name="scripted", run=run, cleanup=lambda job: None,
                                       max_concurrency=lambda: 5))
    yield outcomes
    registry._kinds.pop("scripted", None)  # or the job list page of a later test in this process shows it


def test_a_failed_job_shows_its_failure_in_the_one_error_format(alice, alice_api, scripted):
    scripted.append(PermanentJobError("The zip entry 'x' is refused: it contains '..'.", code="unsafe_entry",
                                      details={"entry": "../x"}))
    job = services.job_submit(kind="scripted", owner=alice, payload={}).job
    assert runner.run_job(str(job.pk)) == JobStatus.FAILED
    body = alice_api.get(f"/api/v1/jobs/{job.pk}").json()
    assert body["status"] == "failed" and body["error"] == "The zip entry 'x' is refused: it contains '..'."
    assert body["failure"] == {"code": "unsafe_entry", "message": body["error"], "details": {"entry": "../x"}}


def test_a_dead_job_shows_a_generic_failure_and_a_requeue_clears_it(alice, alice_api, scripted, settings):
    settings.JOB_MAX_ATTEMPTS = 1
    scripted.append(TransientJobError("storage hiccup"))
    job = services.job_submit(kind="scripted", owner=alice, payload={}).job
    assert runner.run_job(str(job.pk)) == JobStatus.DEAD
    failure = alice_api.get(f"/api/v1/jobs/{job.pk}").json()["failure"]
    assert failure == {"code": "job_dead", "message": "storage hiccup", "details": {}}
    retried = alice_api.post(f"/api/v1/jobs/{job.pk}/retry", {}, format="json").json()
    assert retried["status"] == "queued" and retried["failure"] is None and retried["error"] == ""
    assert Job.objects.get(pk=job.pk).result == {}


# --- what clients read of an error: no server paths, no tool output ------------------------------

MISSING_FFMPEG = "[Errno 2] No such file or directory: '/usr/bin/ffmpeg'"


def _server_paths(settings) -> tuple[str, ...]:
    return ("/usr/bin", str(settings.DATA_DIR), str(settings.MEDIA_ROOT), "/work/")


@pytest.fixture
def failed_on_paths(alice, scripted, settings):
    """A dead job whose worker lost its FFmpeg binary, and a failed one naming a file in DATA_DIR
    with FFmpeg's stderr after it (as job errors are written, for operators)."""
    settings.JOB_MAX_ATTEMPTS = 1
    scripted.append(FileNotFoundError(2, "No such file or directory", "/usr/bin/ffmpeg"))
    dead = services.job_submit(kind="scripted", owner=alice, payload={}).job
    assert runner.run_job(str(dead.pk)) == JobStatus.DEAD
    stored = f"{settings.DATA_DIR}/media/incoming/3f2a-video.mp4"
    scripted.append(PermanentJobError(f"Writing the video failed: [Errno 30] Read-only file system: '{stored}'\n"
                                      f"[out#0/mp4 @ 0x55d] {settings.DATA_DIR}/work/7/out.mp4: I/O error",
                                      code="storage_unavailable", details={}))
    failed = services.job_submit(kind="scripted", owner=alice, payload={}).job
    assert runner.run_job(str(failed.pk)) == JobStatus.FAILED
    assert Job.objects.get(pk=dead.pk).error == MISSING_FFMPEG  # operators keep the whole text
    return dead, failed


def test_the_api_shows_a_jobs_error_without_server_paths(alice_api, failed_on_paths, settings):
    dead, failed = failed_on_paths
    body = alice_api.get(f"/api/v1/jobs/{dead.pk}").json()
    assert body["error"] == "[Errno 2] No such file or directory: '(a file on the server)'"
    assert body["failure"]["message"] == body["error"]
    body = alice_api.get(f"/api/v1/jobs/{failed.pk}").json()
    assert body["error"] == "Writing the video failed: [Errno 30] Read-only file system: '(a file on the server)'"
    assert body["failure"] == {"code": "storage_unavailable", "message": body["error"], "details": {}}
    listed = alice_api.get("/api/v1/jobs").content.decode()
    assert not [path for path in _server_paths(settings) if path in listed], listed


def test_the_job_page_shows_the_same_error_as_the_api(client, alice, alice_api, failed_on_paths, settings):
    client.force_login(alice)
    for job in failed_on_paths:
        page = client.get(f"/jobs/{job.pk}/").content.decode()
        assert alice_api.get(f"/api/v1/jobs/{job.pk}").json()["error"].replace("'", "&#x27;") in page
        assert not [path for path in _server_paths(settings) if path in page], page


def test_a_webhook_event_shows_a_jobs_error_without_server_paths(alice, alice_api, scripted, settings):
    from contentizer.webhooks.models import WebhookEvent

    settings.WEBHOOK_ALLOW_PRIVATE = True
    registered = alice_api.post("/api/v1/webhooks", {"url": "http://127.0.0.1:9/hook", "events": ["job.dead"]},
                                format="json")
    assert registered.status_code == 201, registered.json()
    settings.JOB_MAX_ATTEMPTS = 1
    scripted.append(FileNotFoundError(2, "No such file or directory", "/usr/bin/ffmpeg"))
    job = services.job_submit(kind="scripted", owner=alice, payload={}).job
    assert runner.run_job(str(job.pk)) == JobStatus.DEAD
    body = WebhookEvent.objects.get(job=job).body
    assert "/usr/bin" not in body and "(a file on the server)" in body


def test_a_video_jobs_stage_errors_show_no_server_paths(alice, alice_api, alice_project, settings):
    from contentizer.jobs.models import StageRun

    job = services.job_submit(kind="video", owner=alice, project=alice_project, payload={"languages": ["en"]}).job
    StageRun.objects.create(job=job, attempt=1, stage="render", input_hash="x", status="failed",
                            error=f"step 2 (id 9): {MISSING_FFMPEG}\nffmpeg version 7.1 Copyright (c) 2000-2024")
    body = alice_api.get(f"/api/v1/jobs/{job.pk}").json()
    render = next(s for s in body["stages"] if s["stage"] == "render")
    assert render["error"] == "step 2 (id 9): [Errno 2] No such file or directory: '(a file on the server)'"
    assert body["result"]["stages"] == body["stages"]
