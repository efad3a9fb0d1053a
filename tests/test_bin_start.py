"""`./bin/start` stops when told to: Ctrl-C in its terminal, or SIGTERM to its process group (what
a service manager or `kill -- -PGID` sends). The web server and the worker run in process groups
of their own, so SIGTERM to the group reaches the script alone: that run also stands for SIGTERM
to the script's process (`kill PID`, a container runtime's PID 1).

Each run starts the README's command in a pseudo-terminal, on a temporary DATA_DIR and a free
port with the embedded defaults, waits until the web server answers and the worker's cluster
runs, sends the stop, and finds nothing of it left after 10 s, and the port free.
"""

from __future__ import annotations

import os
import pty
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
import requests

from tests.conftest import REPO, free_port, wait_for

STOP_SECONDS = 10
# bin/start runs on the embedded defaults in its own DATA_DIR, whatever this test run uses.
NOT_PASSED_ON = ("DATABASE_URL", "REDIS_URL", "SQLITE_PATH", "Q_CLUSTER_NAME", "CACHE_KEY_PREFIX", "SECRET_KEY")


@pytest.fixture(scope="module")
def venv() -> str:
    """This test's virtualenv, if bin/start would not install anything into it."""
    marker = Path(sys.prefix) / ".requirements.txt.sha256"
    wanted = subprocess.run([sys.executable, "bin/_requirements.py", "requirements.txt"], cwd=REPO,
                            capture_output=True, text=True, check=True).stdout.split()[1]
    if not marker.exists() or marker.read_text().strip() != wanted:
        pytest.skip(f"bin/start would install requirements.txt into {sys.prefix} (no current {marker.name}): "
                    "run through ./bin/test, which installs them")
    return sys.prefix


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    """Shared by the runs: the later ones find the database migrated and the static files collected."""
    return tmp_path_factory.mktemp("bin-start-data")


class Terminal:
    """`./bin/start` as a person runs it: in a terminal of its own, everything it prints kept."""

    def __init__(self, env: dict[str, str]) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: a session and a controlling terminal of its own
            os.chdir(REPO)
            os.execve("./bin/start", ["./bin/start"], env)  # noqa: S606 - the script, as a person runs it
        self.output = b""
        self.status: int | None = None
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while True:
            ready, _, _ = select.select([self.fd], [], [], 0.2)
            try:
                chunk = os.read(self.fd, 65536) if ready else b""
            except OSError:  # the terminal closed: everything on it exited
                return
            self.output += chunk

    def text(self) -> str:
        return self.output.decode("utf-8", "replace")

    def ended(self) -> bool:
        if self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            self.status = status if pid else None
        return self.status is not None


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as any server does
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        sock.listen()
        return True


def _in_session(sid: int) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter():
        try:
            if os.getsid(proc.pid) == sid and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc)
        except (ProcessLookupError, PermissionError, psutil.NoSuchProcess):
            continue
    return found


@pytest.mark.parametrize("how", ["Ctrl-C", "SIGTERM to its process group"])
def test_bin_start_stops_within_10_s_leaving_no_process_and_the_port_free(how, venv, data_dir):
    port = free_port()
    env = {key: value for key, value in os.environ.items()
           if key not in NOT_PASSED_ON and not key.startswith("AWS_")}
    env.update(DATA_DIR=str(data_dir), PORT=str(port), HOST="127.0.0.1", VENV=venv)
    started = Terminal(env)
    try:
        wait_for(lambda: _answers(f"http://127.0.0.1:{port}/accounts/login/"), timeout=180, interval=0.5)
        wait_for(lambda: "Q Cluster" in started.text() and "running." in started.text(), timeout=60)
        processes = [psutil.Process(started.pid), *psutil.Process(started.pid).children(recursive=True)]
        assert any("qcluster" in " ".join(p.cmdline()) for p in processes), started.text()[-3000:]
        sent = time.monotonic()
        if how == "Ctrl-C":
            os.write(started.fd, b"\x03")  # the terminal turns it into SIGINT to its foreground group
        else:
            os.killpg(started.pid, signal.SIGTERM)
        deadline = sent + STOP_SECONDS
        while not started.ended() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert started.ended(), f"./bin/start still runs {STOP_SECONDS} s after {how}:\n{started.text()[-3000:]}"
        assert os.waitstatus_to_exitcode(started.status) == 0, started.text()[-3000:]
        _, alive = psutil.wait_procs(processes[1:], timeout=max(0.0, STOP_SECONDS - (time.monotonic() - sent)))
        print(f"\n{how}: ./bin/start stopped in {time.monotonic() - sent:.1f} s")  # noqa: T201 - the figure
        assert alive == [] and _in_session(started.pid) == [], started.text()[-3000:]
        assert _port_free(port)
    finally:
        for proc in _in_session(started.pid):  # a failed run leaves nothing for the next tests
            proc.kill()
        if not started.ended():
            os.waitpid(started.pid, 0)
