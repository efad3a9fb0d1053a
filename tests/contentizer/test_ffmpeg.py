"""The FFmpeg module: binary resolution, input guarding, failures and timeouts."""

from __future__ import annotations

import contextlib
import os
import stat
import subprocess
import sys
import time

import psutil
import pytest

from contentizer.media import ffmpeg
from tests.conftest import REPO, wait_for


@pytest.fixture(autouse=True)
def fresh_binary_cache():
    ffmpeg.binary.cache_clear()
    ffmpeg.version.cache_clear()
    yield
    ffmpeg.binary.cache_clear()
    ffmpeg.version.cache_clear()


def _fake(path, script: str) -> str:
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_it_prefers_ffmpeg_binary_from_settings(settings, tmp_path):
    settings.FFMPEG_BINARY = _fake(tmp_path / "my-ffmpeg", "exit 0\n")
    assert ffmpeg.binary() == settings.FFMPEG_BINARY


def test_it_uses_the_bundled_binary_even_with_an_ffmpeg_on_path(settings, tmp_path, monkeypatch):
    settings.FFMPEG_BINARY = ""
    _fake(tmp_path / "ffmpeg", "exit 0\n")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert "imageio_ffmpeg" in ffmpeg.binary()


def test_it_refuses_a_configured_binary_that_is_not_executable_without_naming_its_path(settings, tmp_path):
    settings.FFMPEG_BINARY = str(tmp_path / "missing")
    with pytest.raises(ffmpeg.FFmpegUnavailable) as caught:
        ffmpeg.binary()
    assert "FFMPEG_BINARY" in str(caught.value) and str(tmp_path) not in str(caught.value)


def test_a_binary_that_vanished_after_start_up_is_a_clear_error_without_a_path(settings, tmp_path):
    settings.FFMPEG_BINARY = _fake(tmp_path / "ffmpeg", "exit 0\n")
    ffmpeg.binary()  # found at start-up
    os.remove(settings.FFMPEG_BINARY)
    with pytest.raises(ffmpeg.FFmpegUnavailable) as caught:
        ffmpeg.run(["-version"], timeout=10)
    message = str(caught.value)
    assert "not available on the worker" in message and "/" not in message and "Errno" not in message


@pytest.mark.parametrize(("said", "numbers"), [
    ("5.1.9-0+deb12u1", (5, 1, 9)), ("n9.0.2-17-g2a571b6068-20260930", (9, 0, 2)), ("7.1", (7, 1)),
    ("N-121000-g0123456789", None),
])
def test_it_reads_the_release_from_a_version_string(said, numbers):
    assert ffmpeg.release(said) == numbers


def test_manage_py_check_refuses_an_ffmpeg_older_than_the_tested_minimum(tmp_path):
    old = _fake(tmp_path / "ffmpeg", 'echo "ffmpeg version 4.4.2-0ubuntu0.22.04.1 Copyright (c) 2000-2021"\n')
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "contentizer.settings", "DATA_DIR": str(tmp_path),
           "FFMPEG_BINARY": old}
    done = subprocess.run([sys.executable, "manage.py", "check"], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode != 0
    assert "contentizer.E001" in done.stderr and "4.4.2" in done.stderr and "older than 5.1" in done.stderr
    assert "Unset FFMPEG_BINARY" in done.stderr


def test_a_worker_refuses_to_start_with_an_ffmpeg_older_than_the_tested_minimum(tmp_path):
    old = _fake(tmp_path / "ffmpeg", 'echo "ffmpeg version 4.4.2 Copyright (c) 2000-2021"\n')
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "contentizer.settings", "DATA_DIR": str(tmp_path),
           "FFMPEG_BINARY": old}
    done = subprocess.run([sys.executable, "manage.py", "qcluster"], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode != 0 and "older than 5.1" in done.stderr


def test_manage_py_check_accepts_the_bundled_ffmpeg(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "contentizer.settings", "DATA_DIR": str(tmp_path),
           "FFMPEG_BINARY": ""}
    done = subprocess.run([sys.executable, "manage.py", "check"], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr


def test_it_whitelists_protocols_before_every_input():
    argv = ffmpeg.guard_inputs(["-i", "a.mp4", "-i", "b.wav", "out.mp4"])
    assert argv == [
        "-protocol_whitelist", "file,pipe", "-i", "a.mp4",
        "-protocol_whitelist", "file,pipe", "-i", "b.wav", "out.mp4",
    ]


def test_it_refuses_a_network_input(tmp_path):
    with pytest.raises(ffmpeg.FFmpegError) as caught:
        ffmpeg.run(["-i", "http://127.0.0.1:9/x.mp4", str(tmp_path / "o.mp4")], timeout=30)
    assert "not on whitelist" in caught.value.stderr_tail
    assert not (tmp_path / "o.mp4").exists()


def test_it_raises_with_the_tail_of_stderr(tmp_path):
    with pytest.raises(ffmpeg.FFmpegError) as caught:
        ffmpeg.run(["-i", str(tmp_path / "missing.mp4"), str(tmp_path / "o.mp4")], timeout=30)
    assert caught.value.returncode != 0
    assert "missing.mp4" in caught.value.stderr_tail


def test_it_kills_the_whole_process_group_on_timeout(settings, tmp_path):
    pidfile = tmp_path / "child.pid"
    # A fake ffmpeg that starts a child and waits: both must be gone after the timeout.
    settings.FFMPEG_BINARY = _fake(tmp_path / "slow-ffmpeg", f"sleep 60 & echo $! > {pidfile}\nwait\n")
    started = time.monotonic()
    with pytest.raises(ffmpeg.FFmpegError, match="timed out"):
        ffmpeg.run([], timeout=1)
    assert time.monotonic() - started < 10
    child = int(pidfile.read_text())
    time.sleep(0.2)
    assert _gone_or_zombie(child)


def _gone_or_zombie(pid: int) -> bool:
    # Orphans are reparented to PID 1, which in a container may never reap them.
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


def _ffmpeg_children(pid: int) -> list:
    try:
        return [p for p in psutil.Process(pid).children(recursive=True) if "ffmpeg" in p.name()]
    except psutil.NoSuchProcess:
        return []


def test_ffmpeg_dies_with_the_process_that_started_it(tmp_path):
    """FFmpeg runs in its own session (so a cancel can kill its group), yet a worker killed
    with SIGKILL must not leave its encoder running: the parent-death signal takes it along."""
    script = (
        "import django; django.setup()\n"
        "from contentizer.media import ffmpeg\n"
        "ffmpeg.run(['-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30:duration=600', "
        "'-c:v', 'libx264', '-preset', 'veryslow', '-f', 'null', '-'], timeout=600)\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "contentizer.settings", "DATA_DIR": str(tmp_path)}
    worker = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, env=env)
    encoders: list = []
    try:
        encoders += wait_for(lambda: _ffmpeg_children(worker.pid), timeout=60)
        worker.kill()
        worker.wait()
        wait_for(lambda: all(_gone_or_zombie(p.pid) for p in encoders), timeout=10)
    finally:
        worker.kill()
        for encoder in encoders:
            with contextlib.suppress(psutil.NoSuchProcess):
                encoder.kill()


def test_an_mp4_to_cut_into_hls_is_never_read_as_a_playlist(tmp_path):
    """An imported render reaches the HLS cutter: a file that is really a playlist naming a local
    file must fail, not be followed (found in a review: the demuxer was guessed)."""
    from contentizer.media import compose

    local = tmp_path / "local.ts"
    ffmpeg.run(["-f", "lavfi", "-i", "testsrc=size=64x64:rate=10:duration=1", "-f", "lavfi",
                "-i", "anullsrc=r=22050:cl=mono", "-t", "1", "-c:v", "libx264", "-c:a", "aac", str(local)],
               timeout=60)
    disguised = tmp_path / "render.mp4"
    disguised.write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\n{local}\n#EXT-X-ENDLIST\n")
    out = tmp_path / "hls"
    (out / "video").mkdir(parents=True)
    (out / "audio_en").mkdir()
    with pytest.raises(ffmpeg.FFmpegError):
        ffmpeg.run(compose.hls_args(source=disguised, audio_names=["audio_en"], segment_seconds=4, out_dir=out),
                   timeout=60)
    assert not list(out.rglob("*.ts"))
