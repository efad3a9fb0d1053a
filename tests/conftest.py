"""Personas (alice, bob), API clients and run-time media for every test."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from contentizer.models import Project
from tests import media

REPO = Path(__file__).resolve().parent.parent
# The whole suite also runs against S3 (.ci/run's third pass): then nothing may look at a local
# media directory, and the workers get a DATA_DIR of their own.
ON_S3 = bool(django_settings.S3_BUCKET)


@pytest.fixture(scope="session", autouse=True)
def queue_name(worker_id: str) -> str:
    """One broker queue per xdist worker: with a shared Redis, a worker started by one test
    process must never take the tasks of another's (whose database it cannot see)."""
    from django_q.conf import Conf

    name = f"contentizer-test-{worker_id}"
    Conf.CLUSTER_NAME = name
    # The same for the shared cache (Redis in the scaled-out runs): throttle counters of
    # alice in one test database must not be alice's in another's.
    django_settings.CACHES["default"]["KEY_PREFIX"] = name
    return name


def clear_cache() -> None:
    """Forget this test process's cached counters (throttles) without touching anything else
    in a shared Redis database (the brokers of other test processes live there too)."""
    from django.core.cache import cache

    client = getattr(cache, "_cache", None)
    if hasattr(client, "get_client"):  # Redis: only our prefix
        redis = client.get_client(write=True)
        for key in redis.scan_iter(match=f"{cache.key_prefix}:*"):
            redis.delete(key)
    else:
        cache.clear()


@pytest.fixture(autouse=True)
def fast_passwords(settings) -> None:
    # The production hasher is deliberately slow; creating personas would dominate the suite.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def isolated_storage(settings, tmp_path: Path) -> Path:
    """Each test gets its own media root (or S3 key prefix) and upload temp dir, so 'nothing
    left' is checkable."""
    # The same layout settings.py derives from DATA_DIR, so a worker started with
    # DATA_DIR=tmp_path sees the same files.
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.JOB_WORK_DIR = tmp_path / "work"
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "tmp" / "uploads")
    os.makedirs(settings.FILE_UPLOAD_TEMP_DIR)
    if ON_S3:
        default = settings.STORAGES["default"]
        options = {**default["OPTIONS"], "location": f"tests/{uuid.uuid4().hex}"}
        settings.STORAGES = {**settings.STORAGES, "default": {**default, "OPTIONS": options}}
    return tmp_path


def storage_location() -> str:
    return django_settings.STORAGES["default"].get("OPTIONS", {}).get("location", "")


def _user(username: str):
    return get_user_model().objects.create_user(username, f"{username}@example.org", "password")


@pytest.fixture
def alice(db):
    return _user("alice")


@pytest.fixture
def bob(db):
    return _user("bob")


class _FollowsPresigned:
    """On S3, media routes answer with a redirect to a presigned URL: the test clients follow
    it to the storage (passing Range on), as a browser would, so every test reads the bytes
    the storage itself serves."""

    def get(self, path, data=None, follow=False, **extra):
        response = super().get(path, data, follow=follow, **extra)
        location = response.get("Location", "") if response.status_code == 302 else ""
        endpoint = django_settings.STORAGES["default"].get("OPTIONS", {}).get("endpoint_url")
        if not (ON_S3 and endpoint and location.startswith(endpoint)):
            return response
        import requests
        from django.http import StreamingHttpResponse

        wanted = extra.get("headers", {}).get("Range") or extra.get("HTTP_RANGE")
        fetched = requests.get(location, headers={"Range": wanted} if wanted else {}, timeout=60)
        followed = StreamingHttpResponse(iter([fetched.content]), status=fetched.status_code)
        for header in ("Content-Type", "Content-Length", "Content-Range", "Content-Disposition", "Accept-Ranges"):
            if header in fetched.headers:
                followed[header] = fetched.headers[header]
        followed.redirected_from = response
        return followed


class MediaAPIClient(_FollowsPresigned, APIClient):
    pass


class MediaClient(_FollowsPresigned, Client):
    pass


@pytest.fixture
def client() -> Client:
    return MediaClient()


def _client(user) -> APIClient:
    client = MediaAPIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def alice_api(alice) -> APIClient:
    return _client(alice)


@pytest.fixture
def bob_api(bob) -> APIClient:
    return _client(bob)


SCRAPE_TOKEN = "test-scrape-token-0123456789"


@pytest.fixture
def scrape(settings, client):
    """Read /metrics as Prometheus does: with the bearer token an operator configured."""
    settings.METRICS_TOKEN = SCRAPE_TOKEN

    def read() -> str:
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {SCRAPE_TOKEN}")
        assert response.status_code == 200, response.status_code
        return response.content.decode()

    return read


@pytest.fixture
def alice_project(alice) -> Project:
    return Project.objects.create(owner=alice, title="Alice's tutorial")


@pytest.fixture
def bob_project(bob) -> Project:
    return Project.objects.create(owner=bob, title="Bob's tutorial")


@pytest.fixture(scope="session")
def av_dir(tmp_path_factory) -> Path:
    """Every audio/video recipe rendered once per session by the real FFmpeg."""
    directory = tmp_path_factory.mktemp("av")
    for name in media.AV_RECIPES:
        media.make_av(directory, name)
    return directory


def upload_file(client: APIClient, project_id: int, name: str, content: bytes, **extra):
    """POST one file to the project's asset endpoint as multipart, like a browser would."""
    return client.post(
        f"/api/projects/{project_id}/assets",
        {"file": SimpleUploadedFile(name, content, content_type="application/octet-stream")},
        format="multipart",
        **extra,
    )


def raw_multipart_upload(client: APIClient, project_id: int, filename: str, content: bytes):
    """A multipart body written by hand: the test client would strip the name's path parts."""
    boundary = "contentizer-boundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return client.generic(
        "POST", f"/api/projects/{project_id}/assets", body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def stored_files(root: str | Path) -> list[str]:
    root = Path(root)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def stored_keys(prefix: str = "") -> list[str]:
    """Every object in the configured storage (local or S3) under `prefix`, through the
    storage API; temporaries of writes in progress (`incoming/`) are not objects."""
    from django.core.files.storage import default_storage

    from contentizer.storage import INCOMING, walk

    if prefix:
        return sorted(walk(prefix))
    try:
        dirs, files = default_storage.listdir("")
    except FileNotFoundError:  # a local media root nothing was ever written to
        return []
    return sorted([*files, *(key for top in dirs if top != INCOMING for key in walk(top))])


def left_behind() -> dict[str, list[str]]:
    """Everything a refused upload could have left: stored objects and temporary files."""
    return {"media": stored_keys(), "tmp": stored_files(django_settings.FILE_UPLOAD_TEMP_DIR)}


def service_env(data_dir: Path, queue: str) -> dict[str, str]:
    """The environment of a process (worker, web server) started by a test: the test database,
    the same secret, broker queue, cache prefix and storage, and a DATA_DIR of its own choosing."""
    env = {"DJANGO_SETTINGS_MODULE": "contentizer.settings", "DATA_DIR": str(data_dir),
           # django-q2 signs task payloads with the secret key
           "SECRET_KEY": django_settings.SECRET_KEY, "Q_CLUSTER_NAME": queue, "CACHE_KEY_PREFIX": queue,
           # the speech recognition model joined once for the whole run, not once per started worker
           "ASR_MODEL_CACHE_DIR": str(django_settings.ASR_MODEL_CACHE_DIR)}
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        env["SQLITE_PATH"] = str(db["NAME"])
    else:
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    if ON_S3:
        env["AWS_LOCATION"] = storage_location()
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class WebServers:
    """Starts the web server as ./bin/web does (gunicorn + uvicorn workers), one process per
    call, each on its own port and DATA_DIR, on the test database, cache and storage."""

    def __init__(self, root: Path, queue: str) -> None:
        self.root, self.queue, self.procs = root, queue, []

    def start(self, **env_overrides: str) -> str:
        port, data_dir = free_port(), self.root / f"web-{len(self.procs)}"
        data_dir.mkdir()
        env = {**os.environ, **service_env(data_dir, self.queue), "LOG_LEVEL": "WARNING", **env_overrides}
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "contentizer.asgi:application", "--worker-class",
             "uvicorn_worker.UvicornWorker", "--workers", "1", "--bind", f"127.0.0.1:{port}", "--no-control-socket"],
            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=open(data_dir / "web.log", "w"),
            start_new_session=True,
        )
        self.procs.append(proc)
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: _answers(f"{base}/accounts/login/"), timeout=60, interval=0.3)
        return base

    def stop_all(self) -> None:
        for proc in self.procs:
            Workers.kill(proc)


def _answers(url: str) -> bool:
    import requests

    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture
def web_servers(transactional_db, isolated_storage, queue_name):
    servers = WebServers(isolated_storage, queue_name)
    yield servers
    servers.stop_all()


class Workers:
    """Starts real django-q2 clusters (`manage.py qcluster`) on the test database and broker.

    On local storage the workers share the test's DATA_DIR (that is the embedded deployment);
    on S3 they get a DATA_DIR of their own, so nothing can pass by sharing a disk.
    """

    def __init__(self, data_dir: Path, queue: str) -> None:
        self.data_dir = data_dir / "worker-data" if ON_S3 else data_dir
        self.data_dir.mkdir(exist_ok=True)
        self.queue, self.procs = queue, []

    @property
    def work_dir(self) -> Path:
        """JOB_WORK_DIR of the workers (settings.py derives it from DATA_DIR)."""
        return self.data_dir / "work"

    def log(self, index: int = 0) -> Path:
        return self.data_dir / f"worker-{index}.log"

    def start(self, *, own_data_dir: bool = False, **env_overrides: str) -> subprocess.Popen:
        """Start one more cluster. `own_data_dir`: on S3, a DATA_DIR of its own, as another
        machine has (on local storage the workers' DATA_DIR is where the files are stored)."""
        env = {**os.environ, **self._env(), **env_overrides}
        if own_data_dir and ON_S3:
            env["DATA_DIR"] = str(self.data_dir / f"machine-{len(self.procs)}")
            Path(env["DATA_DIR"]).mkdir()
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"], cwd=REPO, env=env,
            stdout=subprocess.DEVNULL, stderr=open(self.data_dir / f"worker-{len(self.procs)}.log", "w"),
            start_new_session=True,
        )
        self.procs.append(proc)
        return proc

    def _env(self) -> dict[str, str]:
        return service_env(self.data_dir, self.queue)
    @staticmethod
    def kill(proc: subprocess.Popen) -> None:
        """SIGKILL the whole cluster (sentinel, workers and their FFmpeg): a machine lost."""
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    self.kill(proc)


@pytest.fixture
def workers(transactional_db, isolated_storage, queue_name):
    pool = Workers(isolated_storage, queue_name)
    yield pool
    pool.stop_all()


@pytest.fixture
def worker(workers):
    """One running worker with the default settings."""
    return workers.start()


def wait_for(predicate, *, timeout: float = 30.0, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := predicate():
            return result
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


@pytest.fixture(scope="session")
def moto_s3(tmp_path_factory) -> str:
    """An S3-compatible server (moto's server mode) on a free port, for this test session."""
    import requests

    port = free_port()
    log = open(tmp_path_factory.mktemp("moto") / "moto.log", "w")  # noqa: SIM115 - lives as long as the server
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=log, stderr=log, start_new_session=True)
    endpoint = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return requests.get(endpoint, timeout=2).status_code < 500
        except requests.RequestException:
            return False

    try:
        wait_for(up, timeout=60, interval=0.3)
        yield endpoint
    finally:
        Workers.kill(proc)
        log.close()


def s3_env(endpoint: str, *, bucket: str, location: str) -> dict[str, str]:
    """What a web or worker process needs to store on S3 (settings.py reads these)."""
    import boto3

    boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="testing", aws_secret_access_key="testing",
                 region_name="us-east-1").create_bucket(Bucket=bucket)
    return {"AWS_STORAGE_BUCKET_NAME": bucket, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_S3_ENDPOINT_URL": endpoint, "AWS_S3_REGION_NAME": "us-east-1", "AWS_LOCATION": location}
