"""The site around the API: docs without a CDN, metrics, health, request ids, logs, dashboard."""

from __future__ import annotations

import json
import logging
import re

from contentizer.logs import ContextFilter, JsonFormatter, bind, unbind


def test_it_serves_the_openapi_schema_without_login(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert "/api/projects/{projectId}/assets" in schema["paths"]
    assert "tokenAuth" in schema["components"]["securitySchemes"]


def test_it_serves_the_docs_ui_from_its_own_static_files(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/") for s in sources), sources
    for source in sources:
        assert client.get(source).status_code == 200, source


def test_it_exposes_prometheus_metrics_to_the_scrape_token(client, db, scrape):
    client.get("/healthz")
    assert "django_http_requests_total_by_method_total" in scrape()


def test_metrics_are_off_on_a_fresh_install(client, db):
    response = client.get("/metrics")
    assert response.status_code == 404 and b"django_http" not in response.content


def test_it_asks_for_the_metrics_token_when_none_is_sent(client, db, settings):
    settings.METRICS_TOKEN = "s3cret-scrape-token"
    response = client.get("/metrics")
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")
    assert b"django_http" not in response.content


def test_it_refuses_a_wrong_metrics_token(client, db, settings):
    settings.METRICS_TOKEN = "s3cret-scrape-token"
    for wrong in ("Bearer s3cret-scrape-tokeN", "Bearer s3cret", "Basic czNjcmV0LXNjcmFwZS10b2tlbg==",
                  "s3cret-scrape-token", "Bearer "):
        response = client.get("/metrics", HTTP_AUTHORIZATION=wrong)
        assert response.status_code == 401 and b"django_http" not in response.content, wrong


def test_it_serves_metrics_to_an_allowed_address_only(client, db, settings):
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8", "192.0.2.7"]
    for address in ("10.1.2.3", "192.0.2.7", "::ffff:10.9.9.9"):
        response = client.get("/metrics", REMOTE_ADDR=address)
        assert response.status_code == 200 and b"django_http" in response.content, address
    for address in ("127.0.0.1", "192.0.2.8", "not an address"):
        response = client.get("/metrics", REMOTE_ADDR=address)
        assert response.status_code == 403 and b"django_http" not in response.content, address


def test_it_answers_health_checks(client, db):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_it_echoes_a_sane_request_id_and_replaces_a_hostile_one(client, db):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")["X-Request-ID"] == "abc-123"
    replaced = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nwith newline")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", replaced)


def test_it_logs_json_lines_with_the_bound_context():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("world",), None)
    record.event = "test.event"
    token = bind(requestId="r1", jobId=7)
    try:
        ContextFilter().filter(record)
    finally:
        unbind(token)
    line = json.loads(JsonFormatter().format(record))
    assert line | {"message": "hello world", "requestId": "r1", "jobId": 7, "event": "test.event"} == line
    assert line["level"] == "INFO"


def test_the_dashboard_requires_login_and_shows_only_your_projects(client, alice, bob, alice_project, bob_project):
    assert client.get("/").status_code == 302
    client.force_login(alice)
    page = client.get("/").content.decode()
    assert alice_project.title.replace("'", "&#x27;") in page and "Bob" not in page
    assert client.get(f"/projects/{bob_project.id}/").status_code == 404
    assert client.get(f"/projects/{alice_project.id}/").status_code == 200


def test_the_admin_lists_blobs_with_thumbnails(client, alice_api, alice_project, admin_user):
    from tests import media
    from tests.conftest import upload_file

    upload_file(alice_api, alice_project.id, "shot.png", media.image_bytes("PNG"))
    client.force_login(admin_user)
    page = client.get("/admin/assets/blob/").content.decode()
    thumb = re.search(r'<img src="(/admin/assets/blob/\d+/thumbnail/)"', page)
    assert thumb, page[:2000]
    response = client.get(thumb.group(1))
    assert response.status_code == 200 and response["Content-Type"] == "image/webp"
    assert "Alice&#x27;s tutorial" in client.get(thumb.group(1).replace("thumbnail/", "change/")).content.decode()
