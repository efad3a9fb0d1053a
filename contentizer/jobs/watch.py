"""The reconciler inside every worker process: lost jobs are noticed in seconds, not minutes.

django-q2's scheduler looks at schedules every 30 s and runs them at most once a minute, so a
worker killed mid-job was noticed only after the heartbeat went stale plus up to 90 s more. Each
django-q2 worker process (signal `post_spawn`) instead starts one daemon thread that runs
`jobs_reconcile()` every JOB_RECONCILE_SECONDS; a dead worker's job is then retried within
JOB_STALE_SECONDS + JOB_RECONCILE_SECONDS. Several threads, processes or machines running it at
once are safe: every transition is a conditional update.
"""

from __future__ import annotations

import logging
import random
import threading

from django.conf import settings
from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)


def start(sender=None, proc_name: str = "", **kwargs) -> threading.Thread | None:
    if settings.JOB_RECONCILE_SECONDS <= 0:
        return None
    thread = threading.Thread(target=_loop, name=f"job-reconciler {proc_name}", daemon=True)
    thread.start()
    return thread


def _loop(stop: threading.Event | None = None) -> None:
    from contentizer.jobs import services

    stop = stop or threading.Event()
    period = settings.JOB_RECONCILE_SECONDS
    while not stop.wait(period * random.uniform(0.75, 1.25)):  # spread the workers' passes
        try:
            services.jobs_reconcile()
        except DatabaseError:
            logger.exception("reconcile pass failed", extra={"event": "jobs.reconcile_failed"})
        finally:
            connection.close()
