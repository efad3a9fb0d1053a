"""The worker cluster (`manage.py qcluster`): django-q2's, with a stop that ends in seconds.

django-q2 1.11 stops badly in two ways, both seen by users (issue 17.4):

- SIGTERM to the whole process group (`kill -- -PGID`, a container runtime, systemd's default
  KillMode=control-group) reaches its sentinel, which leaves SIGTERM at SIG_DFL and dies at once,
  asleep in `stop_event.wait()`. The main process's handler then calls `stop_event.set()`, whose
  `notify_all()` waits for every sleeper to wake: the dead sentinel never does, and the main
  process hangs until SIGKILL (a `multiprocessing.Condition` counts its sleepers in semaphores).
- A stop that does work (SIGINT, or SIGTERM to the main process alone) lets each worker finish
  its task before it reads the STOP that ends it: a running render holds the stop for minutes.

Here the main process's handler only notes the signal and the stop runs outside it; the sentinel
(and the pusher and monitor it forks) ignore SIGTERM, so only the main process stops them, in
order; and as the sentinel stops it sends SIGTERM to its workers, whose running jobs go back to
the queue (contentizer.jobs.stopping). The pool, the broker and the schedules are django-q2's.
"""

from __future__ import annotations

import logging
import os
import signal
import time
import uuid
from multiprocessing import Event

from django_q import cluster

logger = logging.getLogger(__name__)


class Sentinel(cluster.Sentinel):
    def start(self) -> None:
        # Set before the pusher, the monitor and the workers are forked: they inherit it.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        super().start()

    def stop(self) -> None:
        for process in self.pool:
            try:
                os.kill(process.pid, signal.SIGTERM)
            except ProcessLookupError:  # a worker that just died; the guard is no longer replacing it
                pass
        super().stop()


class Cluster(cluster.Cluster):
    def __init__(self) -> None:
        self.stop_signal: int | None = None
        super().__init__()  # installs sig_handler for SIGTERM and SIGINT

    def sig_handler(self, signum: int, frame) -> None:
        # Only note it: stopping from inside the handler waits on locks and processes that the
        # interrupted code may be in the middle of (django-q2 issue #346).
        self.stop_signal = signum

    def start(self) -> int:
        """django-q2's start, with our sentinel (django-q2's names its own class)."""
        self.stop_event, self.start_event = Event(), Event()
        self.sentinel = cluster.get_mp_context().Process(
            target=Sentinel, name=f"Process-{uuid.uuid4().hex}",
            args=(self.stop_event, self.start_event, self.cluster_id, self.broker, self.timeout),
        )
        self.sentinel.start()
        logger.info("Q Cluster %s starting.", self.name)
        while not self.start_event.is_set() and self.sentinel.is_alive():
            time.sleep(0.1)
        return self.pid

    def run(self) -> int:
        """Start, run until a signal or the sentinel's death, stop; returns the sentinel's exit code."""
        self.start()
        while self.stop_signal is None and self.sentinel.is_alive():
            time.sleep(0.2)
        if self.stop_signal is not None:
            logger.info("Q Cluster %s stopping on signal %s: running jobs go back to the queue.",
                        self.name, signal.Signals(self.stop_signal).name)
        self.stop()  # nothing when the sentinel is gone already
        return self.sentinel.exitcode or 0
