"""Slow webhook receivers: one try ends within its wall-clock limit however the receiver drips,
and deliveries never hold the worker processes that renders need."""

from __future__ import annotations

import time

import pytest

from contentizer.webhooks import outbound
from tests.conftest import wait_for
from tests.contentizer.dripping import DrippingReceiver
from tests.contentizer.receivers import Receiver, Reply
from tests.previews.helpers import post_preview, wait_finished

MARGIN = 1.0  # seconds past the limit: thread wake-ups and closing the socket on a busy machine


@pytest.fixture
def drips():
    """Dripping receivers, closed at the end (request after `workers`: they close first, so the
    deliveries still dripping end before the workers stop)."""
    made: list[DrippingReceiver] = []

    def make(**kwargs) -> DrippingReceiver:
        made.append(DrippingReceiver(**kwargs))
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()


@pytest.mark.parametrize("keep_alive", [False, True], ids=["connection-close", "keep-alive"])
def test_a_try_ends_within_its_limit_however_slowly_the_answer_drips(drips, keep_alive):
    receiver = drips(keep_alive=keep_alive)
    started = time.monotonic()
    answer = outbound.post(receiver.url(), body=b"{}", headers={}, allow_private=True, connect_timeout=2, timeout=3)
    elapsed = time.monotonic() - started
    assert elapsed <= 3 + MARGIN, f"the try took {elapsed:.1f} s with a 3 s limit"
    assert answer.status == 200 and answer.excerpt.startswith("0123456789"), answer  # what came in time
    wait_for(lambda: receiver.dripping == 0, timeout=5)  # the connection is gone, not left open


def test_a_receiver_slower_than_the_connect_timeout_but_within_the_total_one_is_delivered():
    receiver = Receiver(Reply(200, b"late but fine", delay=2.5))
    try:
        answer = outbound.post(receiver.url(), body=b"{}", headers={}, allow_private=True, connect_timeout=2,
                               timeout=3)
    finally:
        receiver.close()
    assert (answer.status, answer.excerpt) == (200, "late but fine")
    assert 2.5 <= answer.duration <= 3 + MARGIN


def test_two_slow_receivers_do_not_delay_a_preview(alice_api, alice_project, settings, workers, drips):
    settings.WEBHOOK_ALLOW_PRIVATE = True  # for registering; the worker has its own setting
    slow = [drips(), drips()]
    for receiver in slow:
        response = alice_api.post("/api/v1/webhooks", {"url": receiver.url(), "events": ["job.succeeded"]},
                                  format="json")
        assert response.status_code == 201, response.json()
    # each delivery may take a minute: longer than the preview below needs
    workers.start(WEBHOOK_ALLOW_PRIVATE="true", WEBHOOK_TIMEOUT_SECONDS="60")
    dry = post_preview(alice_api, alice_project.id, {"steps": [{"caption": "Hello", "duration": 1.0}]}, dryRun=True)
    assert dry.status_code == 202, dry.json()  # its end sends one event to each slow receiver
    wait_for(lambda: all(r.dripping for r in slow), timeout=30)

    started = time.monotonic()
    preview = post_preview(alice_api, alice_project.id, {"steps": [{"caption": "Bye", "duration": 1.0}]})
    assert preview.status_code == 202, preview.json()
    status = wait_finished(alice_api, preview.json()["jobId"], timeout=45)
    took = time.monotonic() - started
    assert status["status"] == "succeeded", status
    assert all(r.dripping for r in slow), f"the deliveries stopped dripping before the preview ended ({took:.0f} s)"
