"""Upload temporaries of dead requests go within minutes; one still in flight never does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from assets import tasks
from assets.uploads import HashingUploadHandler
from tests.conftest import REPO

ABANDONED_SCRIPT = """
import django, sys, time
django.setup()
from assets.uploads import HashingUploadHandler
handler = HashingUploadHandler()
handler.new_file("file", "big.mp4", "video/mp4", 1 << 30)
handler.receive_data_chunk(b"x" * 65536, 0)
handler.file.flush()
print(handler.file.temporary_file_path(), flush=True)
time.sleep(600)
"""


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


@pytest.fixture
def abandoned(isolated_storage) -> Path:
    """The temporary file of a web worker killed mid-upload (SIGKILL: no cleanup ran)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "contentizer.settings", "DATA_DIR": str(isolated_storage)}
    proc = subprocess.Popen([sys.executable, "-c", ABANDONED_SCRIPT], cwd=REPO, env=env, stdout=subprocess.PIPE,
                            text=True)
    path = Path(proc.stdout.readline().strip())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert path.parent == Path(settings.FILE_UPLOAD_TEMP_DIR) and path.stat().st_size == 65536
    return path


@pytest.fixture
def in_flight():
    """An upload still arriving (or being checked) in this process: its handler holds the file."""
    handler = HashingUploadHandler()
    handler.new_file("file", "slow.mp4", "video/mp4", 1 << 30)
    handler.receive_data_chunk(b"y" * 1024, 0)
    yield Path(handler.file.temporary_file_path())
    handler.file.close()


def test_a_killed_requests_temporary_goes_within_minutes_and_one_in_flight_stays(db, abandoned, in_flight):
    _age(abandoned, 5 * 60)  # minutes, not the day the old sweep waited
    _age(in_flight, 60 * 60)  # a very slow client: untouched for an hour, yet still held
    tus = Path(settings.FILE_UPLOAD_TEMP_DIR) / "tus" / "chunk-1"
    tus.parent.mkdir()
    tus.write_bytes(b"resumable uploads keep their own expiry")
    _age(tus, 60 * 60)
    assert tasks.sweep_uploads() == 1
    assert not abandoned.exists() and in_flight.exists() and tus.exists()


def test_the_hourly_cleanup_also_sweeps_abandoned_upload_temporaries(db, abandoned):
    _age(abandoned, 5 * 60)
    out = StringIO()
    call_command("assets_cleanup", stdout=out)
    assert not abandoned.exists() and "abandoned upload temporary file" in out.getvalue()


def test_a_fresh_temporary_of_a_dead_request_waits_for_the_grace_period(db, abandoned, settings):
    settings.UPLOAD_TEMP_GRACE_SECONDS = 120
    assert tasks.sweep_uploads() == 0 and abandoned.exists()
