"""Content-Security-Policy: every page sends one; the share page allows only what its player needs;
media redirected to the storage stays allowed; no template runs inline code."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from django.test import Client

from previews import shares
from tests.conftest import REPO
from tests.studio.test_watch_and_share import _finished_row


def _directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in header.split(";"))}


def test_every_page_sends_the_sites_policy(client, alice, alice_project, admin_user):
    client.force_login(alice)
    pages = ["/", "/jobs/", f"/projects/{alice_project.id}/", "/webhooks/", "/no-such-page/", "/api/docs/",
             "/api/v1/jobs"]
    responses = [client.get(path) for path in pages] + [Client().get("/accounts/login/")]
    client.force_login(admin_user)
    responses += [client.get("/admin/"), client.get("/admin/contentizer/job/")]
    for response in responses:
        policy = _directives(response)
        assert policy["default-src"] == ["'self'"] and policy["script-src"] == ["'self'"], response.request
        assert policy["style-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'none'"] and policy["form-action"] == ["'self'"]
        assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def test_the_share_page_allows_only_what_its_player_needs(alice, alice_project):
    video = _finished_row(alice, alice_project)
    for path in (shares.share_path(shares.share_create(video=video, lifetime="1h")), "/s/tampered:nonsense/"):
        policy = _directives(Client().get(path))
        assert set(policy) == {"default-src", "script-src", "style-src", "img-src", "media-src", "connect-src",
                               "worker-src", "base-uri", "form-action", "frame-ancestors"}
        assert policy["default-src"] == policy["base-uri"] == policy["form-action"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert policy["script-src"] == policy["style-src"] == ["'self'"]
        assert policy["worker-src"] == ["blob:"]  # hls.js's demuxer
        assert policy["media-src"][:2] == ["'self'", "blob:"] and policy["connect-src"][0] == "'self'"


def _policies_with(tmp_path, **env) -> dict:
    """The site's policy and a presigned media URL, as a process configured by `env` makes them."""
    script = ("import django, json; django.setup()\n"
              "from django.core.files.storage import default_storage\n"
              "from contentizer.http import csp\n"
              "print(json.dumps({'site': csp.header_value(csp.SITE, media=csp.media_origins()),"
              " 'share': csp.header_value(csp.SHARE_PAGE, media=csp.media_origins()),"
              " 'url': default_storage.url('videos/x/video.mp4')}))")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL", "AWS_", "CSP_"))}
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60,
                            env={**clean, "DJANGO_SETTINGS_MODULE": "contentizer.settings", "DATA_DIR": str(tmp_path),
                                 **env})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


S3 = {"AWS_STORAGE_BUCKET_NAME": "media", "AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "secret"}


def test_media_redirected_to_s3_is_allowed_where_media_is_fetched_only(tmp_path):
    for endpoint in ({"AWS_S3_ENDPOINT_URL": "https://minio.example.org:9000"}, {"AWS_S3_REGION_NAME": "eu-central-1"}):
        out = _policies_with(tmp_path, **S3, **endpoint)
        origin = re.match(r"https://[^/]+", out["url"]).group(0)  # where a media redirect sends the browser
        for policy in (out["site"], out["share"]):
            directives = {name: values for name, *values in (part.split() for part in policy.split(";"))}
            assert {name for name, values in directives.items() if origin in values} == {
                "img-src", "media-src", "connect-src"}, (origin, policy)


def test_media_origins_come_from_the_operator_too_and_not_without_redirects(tmp_path):
    out = _policies_with(tmp_path, **S3, AWS_S3_ENDPOINT_URL="https://minio.example.org:9000",
                         STORAGE_REDIRECTS="false", CSP_MEDIA_ORIGINS="https://cdn.example.net")
    assert "minio.example.org" not in out["site"]
    assert "media-src 'self' blob: https://cdn.example.net;" in out["site"]
    assert _policies_with(tmp_path)["site"].count("example") == 0


def test_no_template_runs_inline_code():
    templates = [p for p in REPO.rglob("templates/**/*.html") if ".venv" not in p.parts]
    assert len(templates) > 20
    for path in templates:
        html = re.sub(r"{% comment %}.*?{% endcomment %}|{#.*?#}", "", path.read_text(), flags=re.S)
        scripts = re.findall(r"<script\b[^>]*>", html)
        assert all("src=" in tag for tag in scripts), (path, scripts)
        assert not re.search(r"<style\b|\sstyle=|\son[a-z]+=", html), path


def test_the_api_docs_page_loads_its_start_up_script_from_this_site(client):
    html = client.get("/api/docs/").content.decode()
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", html, flags=re.S)
    assert scripts and all(body.strip() == "" for body in scripts), html
    script = client.get("/api/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript") and b"SwaggerUIBundle" in script.content
    assert Path(REPO / "static/css/api-docs.css").exists()
