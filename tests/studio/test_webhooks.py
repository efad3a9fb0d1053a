"""Studio: webhook endpoints (register, the secret shown once, disable, delete) and their delivery
log with redelivery, through the webhooks services."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone

from contentizer.jobs.models import Job, JobStatus
from contentizer.webhooks import services
from contentizer.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from tests.studio.test_projects import _text

URL = "https://hooks.example.com/contentizer"


def _register(client, **fields):
    return client.post("/webhooks/new", {"url": URL, "events": ["job.succeeded", "job.failed"],
                                         "description": "CI", **fields})


def _endpoint(user, url: str = URL) -> WebhookEndpoint:
    return services.endpoint_create(owner=user, url=url, events=["job.succeeded"])


def _delivery(endpoint: WebhookEndpoint) -> WebhookDelivery:
    event = WebhookEvent.objects.create(owner=endpoint.owner, type="job.succeeded", body='{"id":"evt_1"}')
    delivery = services.delivery_submit(endpoint=endpoint, event=event)
    WebhookAttempt.objects.create(delivery=delivery, number=1, started_at=timezone.now(), duration=0.2,
                                  status_code=500, error="The receiver answered HTTP 500.",
                                  response_excerpt="upstream exploded")
    return delivery


def test_the_webhooks_page_is_in_the_navigation_and_starts_empty(client, alice):
    client.force_login(alice)
    response = client.get("/")
    assert '<a href="/webhooks/">Webhooks</a>' in response.content.decode()
    text = _text(client.get("/webhooks/"))
    assert "No webhook endpoints yet." in text and "Register an endpoint" in text


def test_it_registers_an_endpoint_and_shows_the_secret_once(client, alice):
    client.force_login(alice)
    response = _register(client)
    endpoint = WebhookEndpoint.objects.get(owner=alice)
    assert response.status_code == 302 and response["Location"] == f"/webhooks/{endpoint.pk}/"
    assert (endpoint.url, endpoint.events, endpoint.description) == (URL, ["job.succeeded", "job.failed"], "CI")
    shown = client.get(response["Location"])
    assert "no-store" in shown["Cache-Control"]
    first = shown.content.decode()
    assert f'value="{endpoint.secret}"' in first and "it is shown only this once and never again" in first
    again = client.get(response["Location"]).content.decode()
    assert endpoint.secret not in again and "Signing secret" not in again
    listed = _text(client.get("/webhooks/"))
    assert URL in listed and "job.succeeded, job.failed" in listed and endpoint.secret not in listed


def test_a_private_address_is_refused_beside_the_url_field(client, alice):
    client.force_login(alice)
    response = _register(client, url="http://10.0.0.7/hook")
    assert response.status_code == 400 and WebhookEndpoint.objects.count() == 0
    html = response.content.decode()
    error = re.search(r'id="webhook-url-error">([^<]+)<', html).group(1)
    assert "webhooks only reach public addresses" in error and "10.0.0.7" in error
    assert 'value="http://10.0.0.7/hook"' in html, "the author's URL is kept to fix"


def test_every_field_error_shows_at_once(client, alice):
    client.force_login(alice)
    response = client.post("/webhooks/new", {"url": "", "description": "x" * 201})
    assert response.status_code == 400 and WebhookEndpoint.objects.count() == 0
    html = response.content.decode()
    assert re.search(r'id="webhook-url-error">This field may not be blank.<', html)
    assert re.search(r'id="webhook-events-error">This list may not be empty.<', html)
    assert re.search(r'id="webhook-description-error">Ensure this field has no more than 200 characters.<', html)
    assert "3 problems to fix:" in _text(response)


def test_the_delivery_log_shows_each_attempt(client, alice):
    delivery = _delivery(_endpoint(alice))
    client.force_login(alice)
    text = _text(client.get(f"/webhooks/{delivery.endpoint_id}/"))
    assert "job.succeeded" in text and delivery.event_id in text and "Queued" in text
    assert "Attempt 1" in text and "HTTP 500" in text and "failed" in text
    assert "The receiver answered HTTP 500." in text and "upstream exploded" in text
    assert f"Redeliver job.succeeded {delivery.event_id}" in text
    assert "next try" not in text, "not yet tried: nothing is waiting"
    waiting = timezone.now() + timedelta(seconds=60)
    Job.objects.filter(pk=delivery.job_id).update(not_before=waiting)
    assert f"next try {waiting:%Y-%m-%d %H:%M:%S} UTC" in _text(client.get(f"/webhooks/{delivery.endpoint_id}/"))


def test_redeliver_sends_the_same_event_as_a_new_delivery_job(client, alice):
    delivery = _delivery(_endpoint(alice))
    client.force_login(alice)
    response = client.post(f"/webhooks/{delivery.endpoint_id}/deliveries/{delivery.pk}/redeliver")
    assert response.status_code == 302 and response["Location"] == f"/webhooks/{delivery.endpoint_id}/"
    again = WebhookDelivery.objects.get(redelivery_of=delivery)
    assert again.event_id == delivery.event_id and again.job_id != delivery.job_id
    assert Job.objects.get(pk=again.job_id).status == JobStatus.QUEUED
    assert f"Event {delivery.event_id} queued to be sent again." in _text(client.get(response["Location"]))


def test_a_disabled_endpoint_is_not_redelivered_and_says_why(client, alice):
    delivery = _delivery(_endpoint(alice))
    client.force_login(alice)
    assert client.post(f"/webhooks/{delivery.endpoint_id}/active", {"active": "0"}).status_code == 302
    assert not WebhookEndpoint.objects.get().active
    response = client.post(f"/webhooks/{delivery.endpoint_id}/deliveries/{delivery.pk}/redeliver", follow=True)
    assert "The endpoint is disabled; enable it before redelivering." in _text(response)
    assert WebhookDelivery.objects.count() == 1
    client.post(f"/webhooks/{delivery.endpoint_id}/active", {"active": "1"})
    assert WebhookEndpoint.objects.get().active


def test_deleting_an_endpoint_removes_it_and_its_log(client, alice):
    delivery = _delivery(_endpoint(alice))
    client.force_login(alice)
    response = client.post(f"/webhooks/{delivery.endpoint_id}/delete", follow=True)
    assert "deleted, with its delivery log" in _text(response) and "No webhook endpoints yet." in _text(response)
    assert WebhookEndpoint.objects.count() == 0 and WebhookDelivery.objects.count() == 0


def test_another_users_endpoint_is_a_404_on_every_page_and_action(client, alice, bob):
    delivery = _delivery(_endpoint(alice))
    base = f"/webhooks/{delivery.endpoint_id}"
    client.force_login(bob)
    assert client.get(f"{base}/").status_code == 404
    assert client.post(f"{base}/active", {"active": "0"}).status_code == 404
    assert client.post(f"{base}/deliveries/{delivery.pk}/redeliver").status_code == 404
    assert client.post(f"{base}/delete").status_code == 404
    assert URL not in _text(client.get("/webhooks/"))
    assert WebhookEndpoint.objects.get().active and WebhookDelivery.objects.count() == 1
