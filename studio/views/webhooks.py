"""Webhooks: the author's endpoints (register, the secret shown once, deactivate, delete) and each
endpoint's delivery log with redelivery, through the same serializers and services as the API."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from contentizer.errors import ApplicationError
from contentizer.webhooks import selectors, services
from contentizer.webhooks.api.serializers import WebhookEndpointCreateInputSerializer
from contentizer.webhooks.models import EventType, WebhookEndpoint
from studio.forms import ApiForm

logger = logging.getLogger(__name__)

DELIVERIES_PER_PAGE = 20
_NEW_ENDPOINT = "studio.webhook_secret"  # the new endpoint's secret, until the page has shown it once


def endpoint_input(post) -> dict:
    return {"url": post.get("url", ""), "events": post.getlist("events"), "description": post.get("description", "")}


def _list_response(request: HttpRequest, *, form: ApiForm | None = None) -> HttpResponse:
    values = form.values if form else {"events": list(EventType.values)}
    return render(request, "studio/webhooks.html", {
        "endpoints": selectors.endpoint_list(user=request.user), "form": form, "values": values,
        "event_types": EventType.choices,
    }, status=form.status if form and form.errors else 200)


@login_required
def webhook_list(request: HttpRequest) -> HttpResponse:
    return _list_response(request)


@login_required
@require_POST
def webhook_create(request: HttpRequest) -> HttpResponse:
    data = endpoint_input(request.POST)
    form = ApiForm(WebhookEndpointCreateInputSerializer, data=data, values=data)
    if not form.is_valid():
        return _list_response(request, form=form)
    try:
        endpoint = services.endpoint_create(owner=request.user, **form.validated_data)
    except ApplicationError as exc:
        form.add_api_error(exc)
        return _list_response(request, form=form)
    request.session[_NEW_ENDPOINT] = {"id": str(endpoint.pk), "secret": endpoint.secret}
    messages.success(request, f"Webhook endpoint {endpoint.url} registered.")
    return redirect("webhook-page", endpoint_id=endpoint.pk)


def _shown_once(request: HttpRequest, endpoint: WebhookEndpoint) -> str:
    """The secret of the endpoint just created, on the first page view after it, never again."""
    kept = request.session.get(_NEW_ENDPOINT)
    if not kept or kept.get("id") != str(endpoint.pk):
        return ""
    del request.session[_NEW_ENDPOINT]
    return kept["secret"]


@never_cache  # it may hold the secret: no browser or proxy keeps a copy
@login_required
def webhook_page(request: HttpRequest, endpoint_id) -> HttpResponse:
    endpoint = selectors.endpoint_get(user=request.user, endpoint_id=endpoint_id)
    page = Paginator(selectors.delivery_list(endpoint=endpoint), DELIVERIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "studio/webhook.html", {
        "endpoint": endpoint, "secret": _shown_once(request, endpoint), "deliveries": page,
        "event_labels": dict(EventType.choices),
    })


@login_required
@require_POST
def webhook_active(request: HttpRequest, endpoint_id) -> HttpResponse:
    endpoint = selectors.endpoint_get(user=request.user, endpoint_id=endpoint_id)
    active = request.POST.get("active") == "1"
    services.endpoint_update(endpoint=endpoint, active=active)
    messages.success(request, "Endpoint enabled: new events are sent to it." if active else
                     "Endpoint disabled: no events are sent to it until you enable it again.")
    return redirect("webhook-page", endpoint_id=endpoint.pk)


@login_required
@require_POST
def webhook_delete(request: HttpRequest, endpoint_id) -> HttpResponse:
    endpoint = selectors.endpoint_get(user=request.user, endpoint_id=endpoint_id)
    url = endpoint.url
    services.endpoint_delete(endpoint=endpoint)
    messages.success(request, f"Webhook endpoint {url} deleted, with its delivery log.")
    return redirect("webhook-list")


@login_required
@require_POST
def webhook_redeliver(request: HttpRequest, endpoint_id, delivery_id) -> HttpResponse:
    endpoint = selectors.endpoint_get(user=request.user, endpoint_id=endpoint_id)
    delivery = selectors.delivery_get(endpoint=endpoint, delivery_id=delivery_id)
    try:
        services.delivery_redeliver(delivery=delivery)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Event {delivery.event_id} queued to be sent again.")
    return redirect("webhook-page", endpoint_id=endpoint.pk)
