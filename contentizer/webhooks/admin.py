"""Operators see endpoints (never their secrets) and every delivery with its tries; they can
disable an endpoint or redeliver."""

from __future__ import annotations

from django.contrib import admin, messages

from contentizer.errors import ApplicationError
from contentizer.webhooks import services
from contentizer.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "owner", "active", "events", "created_at"]
    list_filter = ["active", "created_at"]
    search_fields = ["url", "description", "owner__username"]
    fields = ["owner", "url", "description", "events", "active", "created_at", "updated_at"]
    readonly_fields = ["owner", "url", "events", "created_at", "updated_at"]  # URLs are checked by the service

    def has_add_permission(self, request) -> bool:
        return False


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ["number", "started_at", "duration", "status_code", "succeeded", "error", "response_excerpt"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "event_type", "event", "endpoint", "status", "tries", "created_at"]
    list_filter = ["job__status", "event__type", "created_at"]
    search_fields = ["event__id", "endpoint__url", "endpoint__owner__username"]
    list_select_related = ["event", "endpoint", "job"]
    readonly_fields = ["endpoint", "event", "job", "redelivery_of", "created_at"]
    inlines = [WebhookAttemptInline]
    actions = ["redeliver"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description="event type")
    def event_type(self, delivery: WebhookDelivery) -> str:
        return delivery.event.type

    @admin.display(description="status", ordering="job__status")
    def status(self, delivery: WebhookDelivery) -> str:
        return delivery.job.status

    @admin.display(description="tries")
    def tries(self, delivery: WebhookDelivery) -> str:
        return f"{delivery.job.attempts}/{delivery.job.max_attempts}"

    @admin.action(description="Redeliver (the same event again, as a new delivery)")
    def redeliver(self, request, queryset) -> None:
        done = 0
        for delivery in queryset.select_related("endpoint", "event"):
            try:
                services.delivery_redeliver(delivery=delivery)
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"{delivery.id}: {exc.message}", level=messages.WARNING)
        self.message_user(request, f"{done} delivery(ies) queued again.")
