"""Reads of webhook endpoints and their delivery log, scoped to their owner."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from contentizer.webhooks.models import WebhookDelivery, WebhookEndpoint


def endpoint_list(*, user) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(owner=user)


def endpoint_get(*, user, endpoint_id) -> WebhookEndpoint:
    return get_object_or_404(WebhookEndpoint, pk=endpoint_id, owner=user)


def delivery_list(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    return (WebhookDelivery.objects.filter(endpoint=endpoint).select_related("event", "job", "endpoint")
            .prefetch_related("attempts"))


def delivery_get(*, endpoint: WebhookEndpoint, delivery_id) -> WebhookDelivery:
    return get_object_or_404(delivery_list(endpoint=endpoint), pk=delivery_id)
