"""Webhooks: endpoints, an event for every job that ends, and deliveries that run as jobs.

A delivery is a job of kind `webhook`: the job framework retries it with exponential backoff
(WEBHOOK_BACKOFF_*, at most WEBHOOK_MAX_ATTEMPTS tries), the reconciler re-sends what a lost
worker or broker dropped, and every try carries the same event id and body: at least once.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from contentizer.errors import ApplicationError, Conflict
from contentizer.jobs import registry
from contentizer.jobs import services as jobs
from contentizer.jobs.api.serializers import job_representation
from contentizer.jobs.errors import PermanentJobError, TransientJobError
from contentizer.jobs.models import Job, JobStatus
from contentizer.jobs.runner import JobContext
from contentizer.timestamps import rfc3339
from contentizer.webhooks import addresses, outbound, signing
from contentizer.webhooks.models import (
    EventType,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    new_event_id,
)

logger = logging.getLogger(__name__)

KIND = "webhook"
EXCERPT_BYTES = 1024
EVENT_FOR_STATUS = {JobStatus.SUCCEEDED: EventType.JOB_SUCCEEDED, JobStatus.FAILED: EventType.JOB_FAILED,
                    JobStatus.CANCELLED: EventType.JOB_CANCELLED, JobStatus.DEAD: EventType.JOB_DEAD}


# --- endpoints -------------------------------------------------------------------------------------

def _checked_url(url: str) -> str:
    try:
        outbound.check_url(url, allow_private=settings.WEBHOOK_ALLOW_PRIVATE)
    except outbound.UrlRefused as exc:
        raise ApplicationError(str(exc), code="webhook_url_refused", details={"field": "url"}) from None
    return url.strip()


def _checked_events(events: list[str]) -> list[str]:
    if unknown := sorted(set(events) - set(EventType.values)):
        raise ApplicationError(f"Unknown event types: {', '.join(unknown)}.", code="unknown_event_type",
                       details={"unknown": unknown, "known": list(EventType.values)})
    if not events:
        raise ApplicationError("Name at least one event type.", code="no_event_types",
                       details={"known": list(EventType.values)})
    return list(dict.fromkeys(events))


def endpoint_create(
    *, owner, url: str, events: list[str], description: str = "", active: bool = True,
) -> WebhookEndpoint:
    """A new endpoint with a new secret (which the API shows this once)."""
    count = WebhookEndpoint.objects.filter(owner=owner).count()
    if count >= settings.WEBHOOK_MAX_ENDPOINTS:
        raise Conflict(f"You already have {count} webhook endpoints; delete one first.", code="too_many_endpoints",
                       details={"limit": settings.WEBHOOK_MAX_ENDPOINTS})
    return WebhookEndpoint.objects.create(owner=owner, url=_checked_url(url), events=_checked_events(events),
                                          description=description, active=active, secret=signing.new_secret())


def endpoint_update(*, endpoint: WebhookEndpoint, **fields: Any) -> WebhookEndpoint:
    if "url" in fields:
        fields["url"] = _checked_url(fields["url"])
    if "events" in fields:
        fields["events"] = _checked_events(fields["events"])
    for name, value in fields.items():
        setattr(endpoint, name, value)
    endpoint.save()
    return endpoint


def endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """The endpoint goes with its log; deliveries still waiting go too (their jobs with them)."""
    with transaction.atomic():
        Job.objects.filter(webhook_delivery__endpoint=endpoint).delete()
        endpoint.delete()


# --- events ----------------------------------------------------------------------------------------

def events_record(job: Job) -> None:
    """Listener of job ends (contentizer.jobs.events): the event, and one delivery per endpoint of
    the job's owner that wants it, written in the transaction that ended the job."""
    event_type = EVENT_FOR_STATUS.get(job.status)
    try:
        listed = registry.get(job.kind).listed
    except LookupError:
        listed = True
    if event_type is None or not listed:  # deliveries make no events of their own
        return
    endpoints = [e for e in WebhookEndpoint.objects.filter(owner_id=job.owner_id, active=True).select_related("owner")
                 if event_type in e.events]
    if not endpoints:
        return
    event_id = new_event_id()
    body = json.dumps({"id": event_id, "type": event_type, "created": rfc3339(timezone.now()),
                       "data": {"job": job_representation(job)}}, separators=(",", ":"))
    event = WebhookEvent.objects.create(id=event_id, owner_id=job.owner_id, type=event_type, job=job, body=body)
    for endpoint in endpoints:
        delivery_submit(endpoint=endpoint, event=event)
    logger.info("webhook event", extra={"event": "webhook.event", "eventId": event_id, "type": event_type,
                                        "jobId": str(job.pk), "endpoints": len(endpoints)})


# --- deliveries --------------------------------------------------------------------------------------

def delivery_submit(*, endpoint: WebhookEndpoint, event: WebhookEvent,
                    redelivery_of: WebhookDelivery | None = None) -> WebhookDelivery:
    with transaction.atomic():
        job = jobs.job_submit(kind=KIND, owner=endpoint.owner, max_attempts=settings.WEBHOOK_MAX_ATTEMPTS,
                              payload={"eventId": event.id, "endpointId": str(endpoint.id)}).job
        return WebhookDelivery.objects.create(endpoint=endpoint, event=event, job=job, redelivery_of=redelivery_of)


def delivery_redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send the same event (same id, same body) to the same endpoint again, as a new delivery."""
    if not delivery.endpoint.active:
        raise Conflict("The endpoint is disabled; enable it before redelivering.", code="endpoint_inactive")
    return delivery_submit(endpoint=delivery.endpoint, event=delivery.event, redelivery_of=delivery)


def delivery_backoff(attempt: int) -> float:
    """Seconds before the try after `attempt`: WEBHOOK_BACKOFF_BASE_SECONDS doubling, capped."""
    return min(settings.WEBHOOK_BACKOFF_MAX_SECONDS, settings.WEBHOOK_BACKOFF_BASE_SECONDS * 2 ** max(0, attempt - 1))


def _record(ctx: JobContext, delivery: WebhookDelivery, *, at: datetime, started: float, status_code: int | None = None,
            excerpt: str = "", error: str = "") -> None:
    fields = {"started_at": at, "duration": round(time.monotonic() - started, 3), "status_code": status_code,
              "succeeded": status_code is not None and 200 <= status_code < 300, "error": error[:500],
              "response_excerpt": excerpt[:EXCERPT_BYTES]}
    try:
        WebhookAttempt.objects.update_or_create(delivery=delivery, number=ctx.job.attempts, defaults=fields)
    except IntegrityError:  # the endpoint was deleted while this try ran; its log went with it
        logger.info("delivery deleted while sending", extra={"event": "webhook.gone", "jobId": str(ctx.job.pk)})


def _answer_error(answer: outbound.Answer) -> str:
    if 300 <= answer.status < 400:
        return (f"The receiver answered HTTP {answer.status} (a redirect to {answer.location or 'nowhere'}); "
                "redirects are not followed.")
    return f"The receiver answered HTTP {answer.status}."


def delivery_run(ctx: JobContext) -> dict[str, Any]:
    """One try: POST the signed event; a 2xx is delivered, anything else is tried again later."""
    delivery = WebhookDelivery.objects.select_related("endpoint", "event").filter(job_id=ctx.job.pk).first()
    if delivery is None:
        raise PermanentJobError("The endpoint of this delivery was deleted.", code="endpoint_deleted")
    endpoint, event = delivery.endpoint, delivery.event
    if not endpoint.active:
        raise PermanentJobError("The endpoint is disabled; the event was not sent.", code="endpoint_inactive")
    ctx.progress(10, "send")
    at, started = timezone.now(), time.monotonic()
    try:
        answer = outbound.post(
            endpoint.url, body=event.body.encode(), allow_private=settings.WEBHOOK_ALLOW_PRIVATE,
            headers=signing.signed_headers(secret=endpoint.secret, event_id=event.id, body=event.body, at=at),
            connect_timeout=settings.WEBHOOK_CONNECT_TIMEOUT_SECONDS, timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
            excerpt_bytes=EXCERPT_BYTES,
        )
    except (outbound.UrlRefused, addresses.AddressRefused) as exc:
        _record(ctx, delivery, at=at, started=started, error=str(exc))
        raise PermanentJobError(str(exc), code="webhook_url_refused") from exc
    except (outbound.DeliveryFailed, addresses.Unresolvable) as exc:
        _record(ctx, delivery, at=at, started=started, error=str(exc))
        raise TransientJobError(str(exc)) from exc
    error = "" if 200 <= answer.status < 300 else _answer_error(answer)
    _record(ctx, delivery, at=at, started=started, status_code=answer.status, excerpt=answer.excerpt, error=error)
    if error:
        raise TransientJobError(error)
    return {"statusCode": answer.status, "duration": answer.duration}


def delivery_cleanup(job: Job) -> None:
    """A failed try leaves nothing behind but its log line, which stays."""


def webhooks_expire(*, now: datetime | None = None) -> int:
    """Deliveries (jobs and log) finished more than WEBHOOK_LOG_TTL_SECONDS ago, and events left
    without deliveries as old."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.WEBHOOK_LOG_TTL_SECONDS)
    deliveries, _ = Job.objects.filter(kind=KIND, finished_at__lt=cutoff).delete()
    events, _ = WebhookEvent.objects.filter(created_at__lt=cutoff, deliveries__isnull=True).delete()
    return deliveries + events
