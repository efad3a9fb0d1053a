"""Pages of the core that are not the studio's: health, metrics and the error pages."""

from __future__ import annotations

import ipaddress
import logging
import secrets

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django_prometheus.exports import ExportToDjangoView

logger = logging.getLogger(__name__)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def _address_allowed(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    ip = getattr(ip, "ipv4_mapped", None) or ip  # "::ffff:10.0.0.1" from a dual-stack socket
    return any(ip in ipaddress.ip_network(n, strict=False) for n in settings.METRICS_ALLOWED_IPS)


def _token_matches(request: HttpRequest) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    token = settings.METRICS_TOKEN
    return bool(token) and scheme.lower() == "bearer" and secrets.compare_digest(given.encode(), token.encode())


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics, for a scraper with the token or at an allowed address only.

    Off (404) while neither is configured; 401 with a Bearer challenge when a token could let the
    caller in; 403 when only addresses are allowed and this one is not.
    """
    if not (settings.METRICS_TOKEN or settings.METRICS_ALLOWED_IPS):
        raise Http404("metrics are off: set METRICS_TOKEN or METRICS_ALLOWED_IPS")
    if _token_matches(request) or _address_allowed(request.META.get("REMOTE_ADDR", "")):
        return ExportToDjangoView(request)
    if settings.METRICS_TOKEN:
        response = HttpResponse("A valid bearer token is required.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse("This address may not read the metrics.\n", status=403, content_type="text/plain")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", status=500)
