"""Webhook endpoints, the events they are sent, and the log of every delivery attempt."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models


class EventType(models.TextChoices):
    JOB_SUCCEEDED = "job.succeeded", "A job succeeded"
    JOB_FAILED = "job.failed", "A job failed (not worth retrying)"
    JOB_CANCELLED = "job.cancelled", "A job was cancelled"
    JOB_DEAD = "job.dead", "A job ran out of attempts"


def new_event_id() -> str:
    return f"evt_{secrets.token_hex(16)}"


class WebhookEndpoint(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.CharField(max_length=2000)
    description = models.CharField(max_length=200, blank=True, default="")
    events = models.JSONField(default=list, help_text="event types sent to this endpoint")
    # The HMAC key (whsec_<base64>): shown once, when the endpoint is created; kept to sign.
    secret = models.CharField(max_length=100)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="webhook_endpoint_owner")]

    def __str__(self) -> str:
        return self.url


class WebhookEvent(models.Model):
    """One event, sent with the same id and body to every endpoint that wants it, on every try."""

    id = models.CharField(primary_key=True, max_length=40, default=new_event_id, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_events")
    type = models.CharField(max_length=32, choices=EventType.choices)
    job = models.ForeignKey("contentizer.Job", null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="webhook_events")
    body = models.TextField(help_text="the JSON body, exactly as signed and sent")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class WebhookDelivery(models.Model):
    """Sending one event to one endpoint: a job of its own (retries, backoff, dead-letter)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    job = models.OneToOneField("contentizer.Job", on_delete=models.CASCADE, related_name="webhook_delivery")
    redelivery_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="redeliveries")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_endpoint")]

    def __str__(self) -> str:
        return f"{self.event_id} to {self.endpoint_id}"


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery: what the receiver answered, never more than an excerpt."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    duration = models.FloatField(help_text="seconds")
    status_code = models.PositiveIntegerField(null=True, blank=True)
    succeeded = models.BooleanField(default=False)
    error = models.CharField(max_length=500, blank=True, default="")
    response_excerpt = models.TextField(blank=True, default="", help_text="at most the first 1 KiB of the body")

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_unique_number")]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"
