"""Starting ./bin/web (what ./bin/start serves) for the web benchmarks: a fresh DATA_DIR,
migrations, users with tokens and one queued job no worker runs (its event streams stay open)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
PY = str(REPO / ".venv" / "bin" / "python")

SEED = """
import json, sys
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from contentizer.jobs.models import Job
from contentizer.models import Project
users = []
for n in range({users}):
    user = get_user_model().objects.create_user(f"bench{{n}}", password="bench-password")
    project = Project.objects.create(owner=user, title="bench")
    job = Job.objects.create(kind="preview", owner=user, project=project, payload={{"projectId": project.pk}})
    users.append({{"token": Token.objects.create(user=user).key, "job": str(job.pk)}})
json.dump(users, sys.stdout)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def web(*, users: int = 10, **env_overrides: str):
    """Yields (base URL, [{"token", "job"}]) with ./bin/web running; stops it afterwards."""
    data_dir = Path(tempfile.mkdtemp(prefix="contentizer-bench-"))
    port = free_port()
    env = {**os.environ, "DATA_DIR": str(data_dir), "PORT": str(port), "LOG_LEVEL": "WARNING", **env_overrides}
    subprocess.run([PY, "manage.py", "migrate", "--noinput"], cwd=REPO, env=env, check=True, capture_output=True)
    seeded = subprocess.run([PY, "manage.py", "shell", "-c", SEED.format(users=users)], cwd=REPO, env=env,
                            check=True, capture_output=True, text=True).stdout
    accounts = json.loads(seeded.strip().splitlines()[-1])
    log = open(data_dir / "web.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen([str(REPO / "bin" / "web")], cwd=REPO, env=env, stdout=log, stderr=log,
                              start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base)
        yield base, accounts
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
        shutil.rmtree(data_dir, ignore_errors=True)


def _wait_ready(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"{base}/accounts/login/", timeout=2).raise_for_status()
            return
        except requests.RequestException:
            time.sleep(0.3)
    sys.exit("the web server did not start")
