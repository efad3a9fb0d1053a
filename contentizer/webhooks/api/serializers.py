"""Webhook API payloads (camelCase on the wire, timestamps RFC 3339 UTC)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from contentizer.api.serializers_base import StrictInputMixin
from contentizer.jobs.models import JobStatus
from contentizer.webhooks import outbound
from contentizer.webhooks.models import EventType, WebhookDelivery, WebhookEndpoint

_EVENTS = serializers.ListField(
    child=serializers.ChoiceField(choices=EventType.choices), allow_empty=False, max_length=len(EventType.choices),
    help_text="The event types to send: job.succeeded, job.failed, job.cancelled, job.dead.",
)


class _UrlChecked:
    """The URL's rules (http(s), no credentials, no private address) are checked with the other
    fields, so one answer names every problem; the service checks again before it saves."""

    def validate_url(self, value: str) -> str:
        try:
            outbound.check_url(value, allow_private=settings.WEBHOOK_ALLOW_PRIVATE)
        except outbound.UrlRefused as exc:
            raise serializers.ValidationError(str(exc)) from None
        return value.strip()


class WebhookEndpointCreateInputSerializer(_UrlChecked, StrictInputMixin, serializers.Serializer):
    url = serializers.CharField(max_length=2000, help_text="An http(s) URL on a public address.")
    events = _EVENTS
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    active = serializers.BooleanField(required=False, default=True)


class WebhookEndpointUpdateInputSerializer(_UrlChecked, StrictInputMixin, serializers.Serializer):
    url = serializers.CharField(max_length=2000, required=False)
    events = serializers.ListField(child=serializers.ChoiceField(choices=EventType.choices), allow_empty=False,
                                   max_length=len(EventType.choices), required=False)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    active = serializers.BooleanField(required=False)


class WebhookEndpointLinksSerializer(serializers.Serializer):
    self = serializers.CharField()
    deliveries = serializers.CharField()


def endpoint_data(endpoint: WebhookEndpoint) -> dict[str, Any]:
    url = f"/api/v1/webhooks/{endpoint.pk}"
    return {"id": endpoint.pk, "url": endpoint.url, "description": endpoint.description, "events": endpoint.events,
            "active": endpoint.active, "createdAt": endpoint.created_at, "updatedAt": endpoint.updated_at,
            "links": {"self": url, "deliveries": f"{url}/deliveries"}}


class WebhookEndpointSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    events = serializers.ListField(child=serializers.ChoiceField(choices=EventType.choices))
    active = serializers.BooleanField()
    createdAt = serializers.DateTimeField()
    updatedAt = serializers.DateTimeField()
    links = WebhookEndpointLinksSerializer()


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(help_text="The signing secret (whsec_…). Shown this once: store it now.")


class WebhookAttemptSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    startedAt = serializers.DateTimeField(source="started_at")
    durationSeconds = serializers.FloatField(source="duration")
    statusCode = serializers.IntegerField(source="status_code", allow_null=True)
    succeeded = serializers.BooleanField()
    error = serializers.CharField(allow_blank=True)
    responseExcerpt = serializers.CharField(source="response_excerpt", allow_blank=True,
                                            help_text="At most the first 1 KiB of the receiver's answer.")


class WebhookDeliverySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    eventId = serializers.CharField(source="event.id")
    eventType = serializers.ChoiceField(source="event.type", choices=EventType.choices)
    jobId = serializers.UUIDField(source="event.job_id", allow_null=True, help_text="The job the event is about.")
    status = serializers.ChoiceField(source="job.status", choices=JobStatus.choices,
                                     help_text="queued (also between tries), running, succeeded, failed or dead.")
    tries = serializers.IntegerField(source="job.attempts")
    maxTries = serializers.IntegerField(source="job.max_attempts")
    nextTryAt = serializers.SerializerMethodField(help_text="When a delivery waiting between tries tries again.")
    createdAt = serializers.DateTimeField(source="created_at")
    finishedAt = serializers.DateTimeField(source="job.finished_at", allow_null=True)
    redeliveryOf = serializers.UUIDField(source="redelivery_of_id", allow_null=True)
    attempts = WebhookAttemptSerializer(many=True, help_text="Every try, oldest first.")

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_nextTryAt(self, delivery: WebhookDelivery) -> str | None:  # noqa: N802 - the wire name
        job = delivery.job
        if job.status != JobStatus.QUEUED or job.not_before is None:
            return None
        return serializers.DateTimeField().to_representation(job.not_before)
