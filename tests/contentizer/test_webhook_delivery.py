"""Webhooks end to end: jobs end through the API, a real worker delivers, receivers on 127.0.0.1
check every signature with their own HMAC."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from contentizer.jobs import services as jobs
from contentizer.jobs.models import Job, JobStatus
from tests.conftest import wait_for
from tests.contentizer.receivers import Receiver, Reply, signature_valid
from tests.previews.helpers import post_preview

pytestmark = pytest.mark.django_db(transaction=True)

ALL_EVENTS = ["job.succeeded", "job.failed", "job.cancelled", "job.dead"]
# the receivers live on 127.0.0.1: the operator allows it; retries come at once, a slow answer is 1 s
LOCAL = {"WEBHOOK_ALLOW_PRIVATE": "true", "WEBHOOK_BACKOFF_BASE_SECONDS": "0", "WEBHOOK_TIMEOUT_SECONDS": "1"}


@pytest.fixture
def receivers():
    made: list[Receiver] = []

    def make(*replies: Reply, tls: ssl.SSLContext | None = None) -> Receiver:
        made.append(Receiver(*replies, tls=tls))
        return made[-1]

    yield make
    for server in made:
        server.close()


@pytest.fixture
def register(alice_api, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True  # for registering; each test's worker has its own setting

    def endpoint(url: str, events: list[str] = ALL_EVENTS) -> dict:
        response = alice_api.post("/api/v1/webhooks", {"url": url, "events": events}, format="json")
        assert response.status_code == 201, response.json()
        return response.json()

    return endpoint


def _dry_run(api, project) -> str:
    """A job that succeeds at once: a preview's dry run (title cards only, no upload needed)."""
    response = post_preview(api, project.id, {"steps": [{"caption": "Hello", "duration": 1.0}]}, dryRun=True)
    assert response.status_code == 202, response.json()
    return response.json()["jobId"]


def _log(api, endpoint: dict, count: int = 1, timeout: float = 30) -> list[dict]:
    """The endpoint's deliveries once `count` of them have finished, oldest first."""
    def finished():
        results = api.get(endpoint["links"]["deliveries"]).json()["results"]
        done = [d for d in results if d["status"] not in ("queued", "running")]
        return len(done) >= count and list(reversed(results))
    return wait_for(finished, timeout=timeout, interval=0.2)


def test_a_receiver_gets_every_job_event_signed_with_the_job_as_the_api_shows_it(
        alice_api, alice, alice_project, register, receivers, workers, av_dir):
    receiver = receivers()
    endpoint = register(receiver.url())
    succeeded = _dry_run(alice_api, alice_project)
    steps = {"steps": [{"caption": "Bye", "duration": 1.0}]}
    cancelled = post_preview(alice_api, alice_project.id, steps).json()["jobId"]
    assert alice_api.delete(f"/api/v1/jobs/{cancelled}").json()["status"] == "cancelled"
    dead = alice_api.post("/api/export", {"projectId": alice_project.id}, format="json").json()["exportId"]
    Job.objects.filter(pk=dead).update(status=JobStatus.RUNNING, attempts=3, max_attempts=3, worker="gone:1",
                                       heartbeat_at=timezone.now() - timedelta(hours=1))
    assert jobs.jobs_reconcile()["lost"] == 1  # a worker lost on its last attempt: dead
    with open(av_dir / "tone.wav", "rb") as fh:  # not a zip: the import job fails
        failed = alice_api.post("/api/import", {"file": fh}, format="multipart").json()["id"]
    workers.start(**LOCAL)

    wait_for(lambda: len(receiver.received) == 4, timeout=60)
    by_type = {got.event["type"]: got for got in receiver.received}
    expected = {"job.succeeded": succeeded, "job.cancelled": cancelled, "job.dead": dead, "job.failed": failed}
    assert set(by_type) == set(expected)
    for event_type, job_id in expected.items():
        got = by_type[event_type]
        assert signature_valid(endpoint["secret"], got.headers, got.body), event_type
        assert got.event["id"] == got.headers["webhook-id"] and got.event["created"].endswith("Z")
        assert got.event["data"]["job"] == alice_api.get(f"/api/v1/jobs/{job_id}").json(), event_type
    assert by_type["job.failed"].event["data"]["job"]["failure"]["code"] == "invalid_zip"
    assert by_type["job.dead"].event["data"]["job"]["failure"]["code"] == "job_dead"
    assert len({got.headers["webhook-id"] for got in receiver.received}) == 4
    log = _log(alice_api, endpoint, count=4)
    assert [d["status"] for d in log] == ["succeeded"] * 4
    assert all(d["attempts"][0]["statusCode"] == 200 and d["attempts"][0]["responseExcerpt"] == "ok" for d in log)


def test_a_receiver_that_fails_twice_gets_the_event_three_times_with_the_same_id(
        alice_api, alice_project, register, receivers, workers):
    receiver = receivers(Reply(500, b"database down"), Reply(502, b"bad gateway"), Reply(200, b"thanks"))
    endpoint = register(receiver.url())
    workers.start(**LOCAL)
    job_id = _dry_run(alice_api, alice_project)
    [delivery] = _log(alice_api, endpoint)
    assert len(receiver.received) == 3
    assert len({got.headers["webhook-id"] for got in receiver.received}) == 1
    assert len({got.body for got in receiver.received}) == 1
    assert all(signature_valid(endpoint["secret"], got.headers, got.body) for got in receiver.received)
    assert receiver.received[0].event["data"]["job"]["id"] == job_id
    assert (delivery["status"], delivery["tries"], delivery["eventType"]) == ("succeeded", 3, "job.succeeded")
    assert [(a["number"], a["statusCode"], a["responseExcerpt"]) for a in delivery["attempts"]] == [
        (1, 500, "database down"), (2, 502, "bad gateway"), (3, 200, "thanks")]


def test_a_receiver_too_slow_to_answer_is_tried_again(alice_api, alice_project, register, receivers, workers):
    receiver = receivers(Reply(200, delay=3.0), Reply(204, b""))
    endpoint = register(receiver.url())
    workers.start(**LOCAL)
    _dry_run(alice_api, alice_project)
    [delivery] = _log(alice_api, endpoint)
    slow, fine = delivery["attempts"]
    assert slow["statusCode"] is None and slow["error"] == "The receiver did not answer within 1 s."
    assert fine["statusCode"] == 204 and fine["succeeded"] and delivery["status"] == "succeeded"
    assert len(receiver.received) == 2


def test_only_an_excerpt_of_the_answer_is_kept(alice_api, alice_project, register, receivers, workers):
    receiver = receivers(Reply(200, b"A" * 1024 + b"B" * 200_000))
    endpoint = register(receiver.url())
    workers.start(**LOCAL)
    _dry_run(alice_api, alice_project)
    [delivery] = _log(alice_api, endpoint)
    assert delivery["attempts"][0]["responseExcerpt"] == "A" * 1024


def test_a_redirect_is_not_followed(alice_api, alice_project, register, receivers, workers):
    elsewhere = receivers()
    receiver = receivers(Reply(302, b"", headers={"Location": elsewhere.url()}), Reply(200, b"ok"))
    endpoint = register(receiver.url())
    workers.start(**LOCAL)
    _dry_run(alice_api, alice_project)
    [delivery] = _log(alice_api, endpoint)
    redirected = delivery["attempts"][0]
    assert redirected["statusCode"] == 302 and not redirected["succeeded"]
    assert "redirects are not followed" in redirected["error"] and elsewhere.url() in redirected["error"]
    assert elsewhere.received == [] and delivery["status"] == "succeeded"


def test_a_receiver_on_a_private_address_is_refused_without_the_operator_setting(
        alice_api, alice_project, register, receivers, workers):
    receiver = receivers()
    endpoints = [register(receiver.url(host)) for host in ("127.0.0.1", "localhost", "[::1]")]
    workers.start(WEBHOOK_BACKOFF_BASE_SECONDS="0")  # WEBHOOK_ALLOW_PRIVATE unset: private addresses refused
    _dry_run(alice_api, alice_project)
    for endpoint in endpoints:
        [delivery] = _log(alice_api, endpoint)
        assert (delivery["status"], delivery["tries"]) == ("failed", 1), delivery  # refused, not retried
        attempt = delivery["attempts"][0]
        assert attempt["statusCode"] is None and "webhooks only reach public addresses" in attempt["error"]
    assert receiver.received == []


# --- https: the connection goes to the checked address, TLS is verified against the URL's host ---

def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run([shutil.which("openssl") or "openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def certificates(tmp_path) -> Path:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make test certificates")
    directory = tmp_path / "tls"
    directory.mkdir()
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1",
             "-subj", "/CN=Contentizer test CA", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=directory)
    (directory / "leaf.ext").write_text("subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n"
                                        "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "leaf.key", "-out", "leaf.csr",
             "-subj", "/CN=localhost", cwd=directory)
    _openssl("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
             "-out", "leaf.pem", "-days", "1", "-extfile", "leaf.ext", cwd=directory)
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "self.key", "-out", "self.pem", "-days", "1",
             "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost", cwd=directory)
    return directory


def _tls(directory: Path, name: str) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(directory / f"{name}.pem", directory / f"{name}.key")
    return context


def test_https_receivers_are_verified_against_the_urls_host(alice_api, alice_project, register, receivers, workers,
                                                           certificates, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 1  # a TLS failure is retried like any other; once is enough here
    trusted = receivers(tls=_tls(certificates, "leaf"))
    untrusted = receivers(tls=_tls(certificates, "self"))
    good = register(trusted.url("localhost"))
    bad = register(untrusted.url("localhost"))
    workers.start(**LOCAL, SSL_CERT_FILE=str(certificates / "ca.pem"))
    _dry_run(alice_api, alice_project)
    [delivered] = _log(alice_api, good)
    assert delivered["status"] == "succeeded" and len(trusted.received) == 1
    assert trusted.received[0].headers["host"] == f"localhost:{trusted.port}"
    assert signature_valid(good["secret"], trusted.received[0].headers, trusted.received[0].body)
    [refused] = _log(alice_api, bad)
    assert refused["status"] == "dead" and refused["attempts"][0]["error"].startswith("TLS failed"), refused
    assert untrusted.received == []
