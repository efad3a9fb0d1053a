"""What the job framework tells the rest of the product when a job ends.

The state machine calls `job_ended` once for every transition into a final status (succeeded,
failed, cancelled, dead), inside the transaction of that transition: what a listener writes (a
webhook event and its delivery jobs) commits with the new status or not at all, so an event is
never lost between the two. A failing listener is rolled back alone and logged: telling others
must never block the state machine. The kind's own `ended` callback (removing an import's
upload, say) runs after the commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction

from contentizer.jobs import registry
from contentizer.jobs.models import Job

logger = logging.getLogger(__name__)

Listener = Callable[[Job], None]
_listeners: list[Listener] = []


def listen(listener: Listener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def job_ended(*, job_id) -> None:
    job = Job.objects.get(pk=job_id)
    if job.parent_id:  # a child job: its parent may wait for it (after the commit, when others see it ended)
        from contentizer.jobs import fanout

        transaction.on_commit(lambda: fanout.child_ended(job), robust=True)
    for listener in _listeners:
        try:
            with transaction.atomic():  # a savepoint: a failing listener is undone alone
                listener(job)
        except Exception:  # noqa: BLE001 - any listener bug; the job's own transition must still commit
            logger.exception("job end listener failed", extra={"event": "job.listener_failed", "jobId": str(job.pk)})
    try:
        ended = registry.get(job.kind).ended
    except LookupError:
        return
    if ended is not None:
        transaction.on_commit(lambda: ended(job), robust=True)
