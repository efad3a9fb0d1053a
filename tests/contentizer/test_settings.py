"""Configuration from the environment, and the embedded database's concurrency settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest
from django.db import connection, connections

from contentizer.models import Project
from tests.conftest import REPO

sqlite_only = pytest.mark.skipif(
    "sqlite" not in os.environ.get("DATABASE_URL", "sqlite"), reason="DATABASE_URL points at PostgreSQL"
)

PRINT_SETTINGS = """
import json
from django.conf import settings
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"],
    "db_name": settings.DATABASES["default"]["NAME"],
    "broker": "redis" if "redis" in settings.Q_CLUSTER else "orm",
    "storage": settings.STORAGES["default"]["BACKEND"],
    "debug": settings.DEBUG,
    "hosts": settings.ALLOWED_HOSTS,
    "image_limit": settings.ASSET_MAX_BYTES["image"],
}))
"""


def _settings_with(tmp_path, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL", "AWS_"))}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup();" + PRINT_SETTINGS],
        env={**clean, "DJANGO_SETTINGS_MODULE": "contentizer.settings", "DATA_DIR": str(tmp_path), **env},
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )


def test_it_defaults_to_the_embedded_deployment(tmp_path):
    out = json.loads(_settings_with(tmp_path).stdout)
    assert out["engine"] == "django.db.backends.sqlite3" and out["db_name"].startswith(str(tmp_path))
    assert (out["broker"], out["debug"]) == ("orm", False)
    assert out["storage"] == "django.core.files.storage.FileSystemStorage"


def test_it_switches_engines_from_the_environment(tmp_path):
    out = json.loads(_settings_with(
        tmp_path, DATABASE_URL="postgres://app@db.internal:5432/contentizer", REDIS_URL="redis://cache:6379/1",
        AWS_STORAGE_BUCKET_NAME="media", AWS_ACCESS_KEY_ID="id", AWS_SECRET_ACCESS_KEY="secret",
        ALLOWED_HOSTS="videos.example.org", ASSET_MAX_IMAGE_BYTES="1234", DEBUG="true",
    ).stdout)
    assert out["engine"] == "django.db.backends.postgresql" and out["db_name"] == "contentizer"
    assert (out["broker"], out["storage"]) == ("redis", "storages.backends.s3.S3Storage")
    assert out["hosts"] == ["videos.example.org"] and out["image_limit"] == 1234 and out["debug"] is True


def test_it_refuses_s3_without_credentials(tmp_path):
    result = _settings_with(tmp_path, AWS_STORAGE_BUCKET_NAME="media")
    assert result.returncode != 0
    assert "AWS_ACCESS_KEY_ID is required when AWS_STORAGE_BUCKET_NAME is set" in result.stderr


def test_it_refuses_a_metrics_allow_list_entry_that_is_no_address(tmp_path):
    result = _settings_with(tmp_path, METRICS_ALLOWED_IPS="10.0.0.0/8,prometheus.internal")
    assert result.returncode != 0
    assert "METRICS_ALLOWED_IPS: 'prometheus.internal' is not an address or network" in result.stderr


def test_it_refuses_a_media_origin_that_would_change_the_content_security_policy(tmp_path):
    result = _settings_with(tmp_path, CSP_MEDIA_ORIGINS="https://cdn.example.org; script-src *")
    assert result.returncode != 0
    assert "CSP_MEDIA_ORIGINS: 'https://cdn.example.org; script-src *' is not an origin" in result.stderr


def test_it_keeps_a_generated_secret_key_in_data_dir(tmp_path):
    _settings_with(tmp_path)
    key = (tmp_path / "secret_key").read_text()
    assert len(key) >= 50 and oct((tmp_path / "secret_key").stat().st_mode)[-3:] == "600"


@sqlite_only
def test_it_runs_sqlite_in_wal_mode_with_a_busy_timeout(db):
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] == 30000


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_see_database_is_locked(alice):
    errors: list[Exception] = []

    def write(n: int) -> None:
        try:
            for i in range(25):
                Project.objects.create(owner=alice, title=f"p{n}-{i}")
        except Exception as exc:  # noqa: BLE001 - the test records any failure
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Project.objects.count() == 100


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k != "DEBUG"},
        "DATA_DIR": str(tmp_path), "SECRET_KEY": "x" * 20 + "-production-secret-key-with-entropy-1234567890",
        "SECURE_COOKIES": "true", "SECURE_SSL_REDIRECT": "true", "SECURE_HSTS_SECONDS": "31536000",
        "ALLOWED_HOSTS": "videos.example.org",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
