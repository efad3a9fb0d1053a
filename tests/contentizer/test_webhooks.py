"""Webhooks without a worker: the endpoints API, the address rules, signing, retries and backoff
through the job runner in this process, against real receivers on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import socket
import threading
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from contentizer.jobs import runner
from contentizer.jobs import services as jobs
from contentizer.jobs.models import Job, JobStatus
from contentizer.webhooks import addresses, outbound, services
from contentizer.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from tests.contentizer.receivers import Receiver, Reply, signature_valid
from tests.previews.helpers import post_preview

ALL_EVENTS = ["job.succeeded", "job.failed", "job.cancelled", "job.dead"]


def _create(api, url: str = "https://hooks.example.com/contentizer", **body):
    return api.post("/api/v1/webhooks", {"url": url, "events": ALL_EVENTS, **body}, format="json")


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def local(settings):
    """Receivers here live on 127.0.0.1: the operator allows private addresses."""
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_BACKOFF_BASE_SECONDS = 30
    settings.WEBHOOK_BACKOFF_MAX_SECONDS = 3600


# --- the endpoints API ---------------------------------------------------------------------------

def test_it_creates_an_endpoint_and_shows_its_secret_only_once(alice_api):
    response = _create(alice_api, description="CI")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["secret"].startswith("whsec_") and len(base64.b64decode(body["secret"][6:])) == 32
    assert body | {"url": "https://hooks.example.com/contentizer", "events": ALL_EVENTS, "active": True,
                   "description": "CI"} == body
    assert body["createdAt"].endswith("Z")
    assert body["links"]["deliveries"] == f"/api/v1/webhooks/{body['id']}/deliveries"
    read = alice_api.get(f"/api/v1/webhooks/{body['id']}").json()
    assert "secret" not in read and read == {k: v for k, v in body.items() if k != "secret"}
    assert [e["id"] for e in alice_api.get("/api/v1/webhooks").json()["results"]] == [body["id"]]
    assert "secret" not in alice_api.get("/api/v1/webhooks").json()["results"][0]


def test_it_changes_and_deletes_an_endpoint(alice_api):
    endpoint = _create(alice_api).json()
    changed = alice_api.patch(f"/api/v1/webhooks/{endpoint['id']}", {"events": ["job.failed"], "active": False},
                              format="json")
    assert changed.status_code == 200 and changed.json()["events"] == ["job.failed"] and not changed.json()["active"]
    refused = alice_api.patch(f"/api/v1/webhooks/{endpoint['id']}", {"url": "ftp://example.com/"}, format="json")
    assert refused.status_code == 400 and "url" in refused.json()["error"]["details"]["fields"]
    assert WebhookEndpoint.objects.get().url == "https://hooks.example.com/contentizer"
    assert alice_api.delete(f"/api/v1/webhooks/{endpoint['id']}").status_code == 204
    assert alice_api.get(f"/api/v1/webhooks/{endpoint['id']}").status_code == 404


def test_another_users_endpoint_is_a_404_everywhere(alice_api, bob_api):
    endpoint = _create(alice_api).json()
    base = f"/api/v1/webhooks/{endpoint['id']}"
    assert bob_api.get(base).status_code == 404
    assert bob_api.patch(base, {"active": False}, format="json").status_code == 404
    assert bob_api.delete(base).status_code == 404
    assert bob_api.get(f"{base}/deliveries").status_code == 404
    assert bob_api.post(f"{base}/deliveries/{endpoint['id']}/redeliver").status_code == 404
    assert bob_api.get("/api/v1/webhooks").json()["count"] == 0
    assert WebhookEndpoint.objects.get().active


@pytest.mark.parametrize(("body", "field"), [
    ({"events": ["job.exploded"]}, "events"), ({"events": []}, "events"), ({"url": ""}, "url"),
    ({"colour": "red"}, "colour"),
])
def test_invalid_endpoints_are_a_400_naming_the_field(alice_api, body, field):
    response = alice_api.post("/api/v1/webhooks", {"url": "https://hooks.example.com/", "events": ["job.failed"],
                                                   **body}, format="json")
    assert response.status_code == 400 and field in response.json()["error"]["details"]["fields"], response.json()
    assert WebhookEndpoint.objects.count() == 0


@pytest.mark.parametrize("url", [
    "ftp://hooks.example.com/", "file:///etc/passwd", "gopher://hooks.example.com/", "https://", "not a url",
    "https://user:pass@hooks.example.com/", "http://hooks.example.com:99999/",
])
def test_urls_that_are_not_plain_http_are_refused(alice_api, url):
    response = _create(alice_api, url)
    assert response.status_code == 400 and response.json()["error"]["details"]["fields"]["url"], url


PRIVATE = ["http://127.0.0.1/", "http://127.1.2.3:8080/x", "http://localhost:8080/hook", "http://api.localhost/",
           "http://[::1]/", "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://172.16.5.4/",
           "http://192.168.1.1/", "http://100.64.0.1/", "http://0.0.0.0/", "http://[::]/", "http://[fe80::1]/",
           "http://[fd00::1]/", "http://224.0.0.1/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:10.0.0.1]/",
           "http://[2002:7f00:1::]/", "http://[64:ff9b::a00:1]/", "http://2130706433/", "http://0x7f.1/",
           "http://240.0.0.1/"]


@pytest.mark.parametrize("url", PRIVATE)
def test_a_private_address_is_refused_when_registering(alice_api, url):
    response = _create(alice_api, url)
    assert response.status_code == 400, (url, response.json())
    error = response.json()["error"]
    assert error["code"] == "validation_error" and "public" in error["details"]["fields"]["url"][0], error
    assert WebhookEndpoint.objects.count() == 0


# A zone id names a network interface, a trailing dot the root of DNS: neither hides an address.
HIDDEN = ["http://[::1%25lo]/", "http://[fe80::1%25eth0]/", "http://127.0.0.1./", "http://0x7f000001./"]


@pytest.mark.parametrize("url", [*HIDDEN, "http://[fe80::1%eth0]:8080/", "http://127.0.0.1../x"])
def test_a_zone_id_or_a_trailing_dot_does_not_hide_a_private_address(alice_api, url):
    response = _create(alice_api, url)
    assert response.status_code == 400, (url, response.json())
    error = response.json()["error"]
    assert error["code"] == "validation_error" and "public" in error["details"]["fields"]["url"][0], error
    assert WebhookEndpoint.objects.count() == 0
    endpoint = _create(alice_api).json()
    changed = alice_api.patch(f"/api/v1/webhooks/{endpoint['id']}", {"url": url}, format="json")
    assert changed.status_code == 400 and "public" in changed.json()["error"]["details"]["fields"]["url"][0]
    assert WebhookEndpoint.objects.get().url == "https://hooks.example.com/contentizer"


def test_a_zone_id_is_refused_even_where_private_addresses_are_allowed(alice_api, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    response = _create(alice_api, "http://[fe80::1%25eth0]:9000/hook")
    assert response.status_code == 400 and "zone id" in response.json()["error"]["details"]["fields"]["url"][0]
    assert _create(alice_api, "http://127.0.0.1.:9000/hook").status_code == 201


@pytest.mark.parametrize("host", ["127.0.0.1.", "0x7f000001.", "::1%25lo", "fe80::1%25eth0", "fe80::1%eth0"])
def test_the_lookup_refuses_a_hidden_private_address(host):
    with pytest.raises(addresses.AddressRefused, match="public addresses"):
        addresses.resolve(host, 80, allow_private=False)


def test_a_refused_url_is_reported_with_the_other_problems_at_once(alice_api):
    response = alice_api.post("/api/v1/webhooks", {"url": "http://127.0.0.1/", "events": ["job.bogus"], "typo": 1},
                              format="json")
    assert response.status_code == 400
    fields = response.json()["error"]["details"]["fields"]
    assert set(fields) == {"url", "events", "typo"} and "public" in fields["url"][0], fields
    assert WebhookEndpoint.objects.count() == 0


def test_the_operator_may_allow_private_addresses(alice_api, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    assert _create(alice_api, "http://127.0.0.1:9000/hook").status_code == 201
    assert _create(alice_api, "http://[::1]:9000/hook").status_code == 201


def test_endpoints_per_user_are_capped(alice_api, bob_api, settings):
    settings.WEBHOOK_MAX_ENDPOINTS = 2
    assert [_create(alice_api).status_code for _ in range(3)] == [201, 201, 409]
    assert _create(bob_api).status_code == 201


# --- addresses and outbound requests ---------------------------------------------------------------

@pytest.mark.parametrize("address", ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "2a00:1450:4001:80b::200e"])
def test_public_addresses_are_allowed(address):
    import ipaddress

    assert addresses.refusal(ipaddress.ip_address(address)) is None


def test_a_name_resolving_to_127_0_0_1_is_refused():
    with pytest.raises(addresses.AddressRefused, match="127.0.0.1 is a loopback address"):
        addresses.resolve("localhost", 80, allow_private=False)  # the machine's resolver, /etc/hosts
    assert addresses.resolve("localhost", 80, allow_private=True)[0].is_loopback


def _fake_dns(answers: dict[str, list[str]]):
    def resolve(host, port, **kwargs):
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                for a in answers[host]]
    return resolve


def test_a_name_with_any_private_address_is_refused_and_an_unknown_one_is_unresolvable():
    dns = _fake_dns({"mixed.example": ["93.184.216.34", "10.0.0.5"], "public.example": ["93.184.216.34"],
                     "metadata.example": ["169.254.169.254"], "mapped.example": ["::ffff:192.168.0.1"]})
    for host, reason in (("mixed.example", "10.0.0.5 is a private"), ("metadata.example", "link-local"),
                         ("mapped.example", "192.168.0.1 is a private")):
        with pytest.raises(addresses.AddressRefused, match=reason):
            addresses.resolve(host, 443, allow_private=False, resolver=dns)
    assert [str(a) for a in addresses.resolve("public.example", 443, allow_private=False, resolver=dns)] == [
        "93.184.216.34"]
    with pytest.raises(addresses.Unresolvable):
        addresses.resolve("nowhere.example", 443, allow_private=False, resolver=dns)


def test_the_request_goes_to_the_address_checked_without_a_second_lookup(receiver, monkeypatch):
    """DNS rebinding: a name that answers 127.0.0.1 first and something else afterwards."""
    real, asked = socket.getaddrinfo, []

    def rebinding(host, *args, **kwargs):
        if host == "rebind.test" and not kwargs.get("flags", 0) & socket.AI_NUMERICHOST:  # a lookup, not a parse
            asked.append(host)
            return real("127.0.0.1" if len(asked) == 1 else "192.0.2.1", *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    answer = outbound.post(receiver.url("rebind.test"), body=b"{}", headers={}, allow_private=True,
                           connect_timeout=2, timeout=5)
    assert answer.status == 200 and asked == ["rebind.test"]
    assert receiver.received[0].headers["host"] == f"rebind.test:{receiver.port}"
    assert receiver.received[0].path == "/hooks/contentizer?source=test"


def test_a_name_that_resolves_to_a_private_address_is_refused_before_connecting(monkeypatch):
    real, connected = socket.getaddrinfo, []

    def dns(host, *args, **kwargs):
        if host == "intranet.test" and not kwargs.get("flags", 0) & socket.AI_NUMERICHOST:
            host = "10.0.0.5"
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", dns)
    monkeypatch.setattr(outbound, "_connection", lambda *args: connected.append(args))
    with pytest.raises(addresses.AddressRefused, match="intranet.test resolves to 10.0.0.5 is a private address"):
        outbound.post("https://intranet.test/hook", body=b"{}", headers={}, allow_private=False,
                      connect_timeout=2, timeout=5)
    assert connected == []


def test_a_receiver_that_refuses_the_connection_is_a_failure_worth_retrying():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens there once closed
    with pytest.raises(outbound.DeliveryFailed, match="refused or could not be made"):
        outbound.post(f"http://127.0.0.1:{port}/", body=b"{}", headers={}, allow_private=True,
                      connect_timeout=2, timeout=5)


def test_an_answer_that_is_not_http_is_a_failure_worth_retrying():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)

        def answer() -> None:
            conn, _ = server.accept()
            with conn:
                conn.recv(65536)
                conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")

        threading.Thread(target=answer, daemon=True).start()
        with pytest.raises(outbound.DeliveryFailed, match="The request failed"):
            outbound.post(f"http://127.0.0.1:{server.getsockname()[1]}/", body=b"{}", headers={},
                          allow_private=True, connect_timeout=2, timeout=5)


# --- signing ---------------------------------------------------------------------------------------

def test_the_signature_verifies_with_an_independent_hmac_and_with_the_reference_library():
    from contentizer.webhooks import signing

    secret, body = signing.new_secret(), '{"id":"evt_1","type":"job.succeeded"}'
    headers = signing.signed_headers(secret=secret, event_id="evt_1", body=body, at=timezone.now())
    lowered = {k.lower(): v for k, v in headers.items()}
    assert signature_valid(secret, lowered, body.encode())
    assert not signature_valid(secret, lowered, body.encode() + b" ")
    assert not signature_valid(signing.new_secret(), lowered, body.encode())
    assert Webhook(secret).verify(body, lowered)["id"] == "evt_1"


def test_the_receiver_in_the_docs_verifies_a_real_delivery_and_refuses_a_tampered_one(
        alice_api, alice, alice_project, receiver, local):
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "webhooks.md").read_text()
    code = text.split("In Python, with the standard library only:\n\n```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(compile(code, "docs/webhooks.md", "exec"), namespace)  # noqa: S102 - the docs' own example
    verify = namespace["verify"]
    endpoint = _endpoint(alice, receiver.url())
    _dry_run(alice_api, alice_project)
    runner.run_job(str(WebhookDelivery.objects.get().job_id))
    got = receiver.received[0]
    assert verify(endpoint.secret, got.headers, got.body)
    assert not verify(endpoint.secret, got.headers, got.body.replace(b"succeeded", b"failed!!!"))
    assert not verify(endpoint.secret, {**got.headers, "webhook-id": "evt_other"}, got.body)
    old = str(int(got.headers["webhook-timestamp"]) - 600)
    assert not verify(endpoint.secret, {**got.headers, "webhook-timestamp": old}, got.body)


# --- deliveries through the runner, in this process ------------------------------------------------

def _endpoint(owner, url: str, events=ALL_EVENTS) -> WebhookEndpoint:
    return services.endpoint_create(owner=owner, url=url, events=list(events))


def _dry_run(api, project) -> str:
    """A job that succeeds at once: a preview's dry run (title cards only, no upload needed)."""
    response = post_preview(api, project.id, {"steps": [{"caption": "Hello", "duration": 1.0}]}, dryRun=True)
    assert response.status_code == 202, response.json()
    return response.json()["jobId"]


def test_a_job_ending_writes_one_event_and_one_delivery_per_endpoint_that_wants_it(alice_api, alice, bob, alice_project,
                                                                                    local):
    wanted = _endpoint(alice, "http://127.0.0.1:9/a")
    _endpoint(alice, "http://127.0.0.1:9/b", events=["job.failed"])
    services.endpoint_update(endpoint=_endpoint(alice, "http://127.0.0.1:9/c"), active=False)
    _endpoint(bob, "http://127.0.0.1:9/bob")
    job_id = _dry_run(alice_api, alice_project)
    event = WebhookEvent.objects.get()
    assert (event.type, str(event.job_id), event.owner) == ("job.succeeded", job_id, alice)
    assert list(WebhookDelivery.objects.values_list("endpoint", flat=True)) == [wanted.pk]
    body = json.loads(event.body)
    assert set(body) == {"id", "type", "created", "data"} and body["id"] == event.id
    assert body["data"]["job"] == alice_api.get(f"/api/v1/jobs/{job_id}").json()
    assert body["created"].endswith("Z")


def test_deliveries_are_not_in_the_users_jobs(alice_api, alice, alice_project, local):
    _endpoint(alice, "http://127.0.0.1:9/a")
    job_id = _dry_run(alice_api, alice_project)
    delivery = WebhookDelivery.objects.get()
    assert [j["id"] for j in alice_api.get("/api/v1/jobs").json()["results"]] == [job_id]
    assert alice_api.get("/api/v1/jobs?kind=webhook").json()["count"] == 0
    assert alice_api.get(f"/api/v1/jobs/{delivery.job_id}").status_code == 404
    assert alice_api.delete(f"/api/v1/jobs/{delivery.job_id}").status_code == 404


def test_a_failing_receiver_is_retried_with_exponential_backoff_then_the_delivery_is_dead(
        alice_api, alice, alice_project, receiver, local, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    receiver.script = [Reply(500, b"down"), Reply(503, b"still down"), Reply(500, b"gone")]
    endpoint = _endpoint(alice, receiver.url())
    _dry_run(alice_api, alice_project)
    delivery = WebhookDelivery.objects.get()
    waits = []
    for expected in (JobStatus.QUEUED, JobStatus.QUEUED, JobStatus.DEAD):
        before = timezone.now()
        Job.objects.filter(pk=delivery.job_id).update(not_before=None)
        assert runner.run_job(str(delivery.job_id)) == expected
        job = Job.objects.get(pk=delivery.job_id)
        if expected == JobStatus.QUEUED:
            waits.append((job.not_before - before).total_seconds())
    assert [round(w / 10) * 10 for w in waits] == [30, 60]  # 30 s, then twice that
    assert len(receiver.received) == 3 and len({r.headers["webhook-id"] for r in receiver.received}) == 1
    log = alice_api.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries").json()["results"][0]
    assert (log["status"], log["tries"], log["maxTries"]) == ("dead", 3, 3)
    assert [(a["statusCode"], a["succeeded"], a["responseExcerpt"]) for a in log["attempts"]] == [
        (500, False, "down"), (503, False, "still down"), (500, False, "gone")]
    assert log["attempts"][1]["error"] == "The receiver answered HTTP 503."


def test_the_event_sent_is_signed_and_its_body_is_the_stored_event(alice_api, alice, alice_project, receiver, local):
    endpoint = _endpoint(alice, receiver.url())
    _dry_run(alice_api, alice_project)
    delivery = WebhookDelivery.objects.select_related("event").get()
    assert runner.run_job(str(delivery.job_id)) == "succeeded"
    got = receiver.received[0]
    assert got.body == delivery.event.body.encode() and got.headers["webhook-id"] == delivery.event.id
    assert got.headers["content-type"] == "application/json"
    assert signature_valid(endpoint.secret, got.headers, got.body)
    assert abs(int(got.headers["webhook-timestamp"]) - timezone.now().timestamp()) < 300  # the replay window


def test_a_receiver_on_a_private_address_is_refused_at_delivery_and_not_retried(alice_api, alice, alice_project,
                                                                                receiver, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True  # registered while an operator allowed it...
    endpoint = _endpoint(alice, receiver.url("localhost"))
    _dry_run(alice_api, alice_project)
    settings.WEBHOOK_ALLOW_PRIVATE = False  # ...refused once they no longer do
    delivery = WebhookDelivery.objects.get()
    assert runner.run_job(str(delivery.job_id)) == JobStatus.FAILED
    assert receiver.received == []
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None and "public addresses" in attempt.error
    body = alice_api.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries").json()["results"][0]
    assert body["status"] == "failed" and body["tries"] == 1


@pytest.mark.parametrize("url", HIDDEN)
def test_an_endpoint_saved_with_a_hidden_private_address_is_refused_at_delivery(alice_api, alice, alice_project,
                                                                                url):
    from contentizer.webhooks import signing

    # as if registered before these forms were refused
    endpoint = WebhookEndpoint.objects.create(owner=alice, url=url, events=ALL_EVENTS, secret=signing.new_secret())
    _dry_run(alice_api, alice_project)
    delivery = WebhookDelivery.objects.get()
    assert runner.run_job(str(delivery.job_id)) == JobStatus.FAILED  # refused, not retried
    assert Job.objects.get(pk=delivery.job_id).result["failure"]["code"] == "webhook_url_refused"
    body = alice_api.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries").json()["results"][0]
    assert (body["status"], body["tries"]) == ("failed", 1)
    assert "public addresses" in body["attempts"][0]["error"], body


def test_a_listener_failure_never_stops_a_job_from_ending(alice, alice_project, monkeypatch, local):
    _endpoint(alice, "http://127.0.0.1:9/a")

    def broken(job):
        raise RuntimeError("a bug in building the event")

    monkeypatch.setattr(services, "job_representation", broken)
    job = jobs.job_submit(kind="export", owner=alice, project=alice_project,
                          payload={"projectId": alice_project.pk, "chapterIds": [], "include": {}}).job
    assert runner.run_job(str(job.pk)) == "succeeded"
    assert Job.objects.get(pk=job.pk).status == JobStatus.SUCCEEDED
    assert WebhookEvent.objects.count() == 0 and WebhookDelivery.objects.count() == 0


def test_a_delivery_ending_makes_no_event_of_its_own(alice_api, alice, alice_project, receiver, local):
    _endpoint(alice, receiver.url())
    _dry_run(alice_api, alice_project)
    assert runner.run_job(str(WebhookDelivery.objects.get().job_id)) == "succeeded"
    assert WebhookEvent.objects.count() == 1 and WebhookDelivery.objects.count() == 1


def test_redelivery_sends_the_same_event_as_a_new_delivery(alice_api, bob_api, alice, alice_project, receiver,
                                                            local):
    endpoint = _endpoint(alice, receiver.url())
    _dry_run(alice_api, alice_project)
    first = WebhookDelivery.objects.get()
    runner.run_job(str(first.job_id))
    url = f"/api/v1/webhooks/{endpoint.pk}/deliveries/{first.pk}/redeliver"
    assert bob_api.post(url).status_code == 404
    response = alice_api.post(url)
    assert response.status_code == 202, response.json()
    again = response.json()
    assert (again["eventId"], again["redeliveryOf"], again["status"]) == (first.event_id, str(first.pk), "queued")
    assert runner.run_job(str(WebhookDelivery.objects.get(pk=again["id"]).job_id)) == "succeeded"
    assert [r.body for r in receiver.received] == [first.event.body.encode()] * 2
    assert [r.headers["webhook-id"] for r in receiver.received] == [first.event_id] * 2
    log = alice_api.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries").json()
    assert log["count"] == 2 and [d["id"] for d in log["results"]] == [again["id"], str(first.pk)]


def test_redelivery_to_a_disabled_endpoint_is_a_409(alice_api, alice, alice_project, local):
    endpoint = _endpoint(alice, "http://127.0.0.1:9/a")
    _dry_run(alice_api, alice_project)
    services.endpoint_update(endpoint=endpoint, active=False)
    delivery = WebhookDelivery.objects.get()
    response = alice_api.post(f"/api/v1/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/redeliver")
    assert response.status_code == 409 and response.json()["error"]["code"] == "endpoint_inactive"


def test_the_admin_redelivers(client, alice, alice_project, alice_api, local):
    endpoint = _endpoint(alice, "http://127.0.0.1:9/a")
    _dry_run(alice_api, alice_project)
    delivery = WebhookDelivery.objects.get()
    admin = get_user_model().objects.create_superuser("operator", "op@example.org", "pw")
    client.force_login(admin)
    page = client.get(f"/admin/webhooks/webhookdelivery/{delivery.pk}/change/")
    assert page.status_code == 200 and endpoint.secret not in page.content.decode()
    assert endpoint.secret not in client.get(f"/admin/webhooks/webhookendpoint/{endpoint.pk}/change/").content.decode()
    response = client.post("/admin/webhooks/webhookdelivery/",
                           {"action": "redeliver", "_selected_action": [delivery.pk]})
    assert response.status_code == 302
    assert WebhookDelivery.objects.filter(redelivery_of=delivery, event=delivery.event).count() == 1


def test_deleting_an_endpoint_removes_its_waiting_deliveries(alice_api, alice, alice_project, local):
    endpoint = _endpoint(alice, "http://127.0.0.1:9/a")
    _dry_run(alice_api, alice_project)
    job_id = WebhookDelivery.objects.get().job_id
    assert alice_api.delete(f"/api/v1/webhooks/{endpoint.pk}").status_code == 204
    assert not Job.objects.filter(pk=job_id).exists() and WebhookDelivery.objects.count() == 0
    assert runner.run_job(str(job_id)) == "skipped"


def test_old_delivery_logs_expire(alice_api, alice, alice_project, receiver, local, settings):
    settings.WEBHOOK_LOG_TTL_SECONDS = 3600
    _endpoint(alice, receiver.url())
    _dry_run(alice_api, alice_project)
    runner.run_job(str(WebhookDelivery.objects.get().job_id))
    assert services.webhooks_expire(now=timezone.now()) == 0
    WebhookEvent.objects.update(created_at=timezone.now() - timedelta(hours=2))
    assert services.webhooks_expire(now=timezone.now() + timedelta(hours=2)) > 0
    assert WebhookDelivery.objects.count() == WebhookAttempt.objects.count() == WebhookEvent.objects.count() == 0
    assert not Job.objects.filter(kind="webhook").exists() and Job.objects.filter(kind="preview").exists()
