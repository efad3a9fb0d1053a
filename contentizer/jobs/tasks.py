"""django-q2 entry points of the job framework: load by id, call the runner or a service."""

from __future__ import annotations

from contentizer.jobs import runner, services


def run_job(job_id: str) -> str:
    return runner.dispatch(job_id)


def reconcile() -> dict[str, int]:
    return services.jobs_reconcile()
