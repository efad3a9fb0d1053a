"""Deduplication tells no one what another user has: an upload of bytes Bob already stored is
answered in the time an upload of bytes nobody has takes (issue 17.15).

Timing, measured in pairs: each pair is one upload by Alice of bytes nobody has and one of
bytes only Bob has (each pair its own files), in alternating order (A B, B A, ...) so a drift of
the machine's load weighs on both sides alike. The statistic is the median of the pairs' ratios
(known / new): without the fix a long MP3 Bob has was answered six to twelve times faster
(medians 0.08 multipart, 0.17 tus), with it the ratio is about 1. The band is wide enough for
a loaded two-core machine, and no absolute time is asserted.
"""

from __future__ import annotations

import base64
import statistics
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest

from assets.models import Asset, Blob
from tests import media
from tests.conftest import upload_file

PAIRS = 7
BAND = (0.5, 2.0)  # median of known/new; before the fix 0.08-0.17

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def long_mp3(tmp_path_factory) -> bytes:
    return media.long_mp3(tmp_path_factory.mktemp("mp3"), minutes=10)


def _multipart(client, project, name: str, content: bytes) -> int:
    return upload_file(client, project.id, name, content).status_code


def _tus(client, project, name: str, content: bytes) -> int:
    """Creation and the one PATCH that carries every byte and finishes the upload (the ingest)."""
    def b64(value: str) -> str:
        return base64.b64encode(value.encode()).decode()

    created = client.generic("POST", "/api/uploads/", b"", HTTP_TUS_RESUMABLE="1.0.0",
                             HTTP_UPLOAD_LENGTH=str(len(content)),
                             HTTP_UPLOAD_METADATA=f"filename {b64(name)},projectId {b64(str(project.id))}")
    assert created.status_code == 201, created.content
    return client.generic("PATCH", urlsplit(created["Location"]).path, content, HTTP_TUS_RESUMABLE="1.0.0",
                          content_type="application/offset+octet-stream", HTTP_UPLOAD_OFFSET="0").status_code


def _timed(send: Callable[..., int], *args) -> float:
    started = time.perf_counter()
    status = send(*args)
    elapsed = time.perf_counter() - started
    assert status in (201, 204), status
    return elapsed


def _ratios(send, alice_api, bob_api, alice_project, bob_project, content: bytes) -> list[float]:
    known = [media.variant(content, f"known-{i}") for i in range(PAIRS)]
    for i, data in enumerate(known):  # what Bob has; Alice is never told
        assert _timed(send, bob_api, bob_project, f"bob-{i}.mp3", data)
    ratios = []
    for i in range(PAIRS):
        new = media.variant(content, f"new-{i}")
        if i % 2 == 0:
            t_new = _timed(send, alice_api, alice_project, f"new-{i}.mp3", new)
            t_known = _timed(send, alice_api, alice_project, f"known-{i}.mp3", known[i])
        else:
            t_known = _timed(send, alice_api, alice_project, f"known-{i}.mp3", known[i])
            t_new = _timed(send, alice_api, alice_project, f"new-{i}.mp3", new)
        ratios.append(t_known / t_new)
    assert Blob.objects.count() == 2 * PAIRS and Asset.objects.count() == 3 * PAIRS
    return ratios


@pytest.mark.parametrize("send", [_multipart, _tus], ids=["multipart", "tus"])
def test_an_upload_of_bytes_another_user_has_takes_as_long_as_new_bytes(
    send, alice_api, bob_api, alice_project, bob_project, long_mp3,
):
    ratios = _ratios(send, alice_api, bob_api, alice_project, bob_project, long_mp3)
    median = statistics.median(ratios)
    assert BAND[0] <= median <= BAND[1], f"known/new ratios {[round(r, 2) for r in ratios]}, median {median:.2f}"

