"""What export jobs add to the job page (registered as the kind's `section`)."""

from __future__ import annotations

import logging
from typing import Any

from contentizer.jobs.models import Job, JobStatus

logger = logging.getLogger(__name__)


def export_section(job: Job) -> tuple[str, dict[str, Any]]:
    result = job.result or {}
    artifact = result.get("artifact") or ""
    return "exports/job_export.html", {
        "ready": job.status == JobStatus.SUCCEEDED and bool(artifact), "expired": bool(result.get("expired")),
        "download_url": f"/api/export/{job.pk}/download", "name": artifact.rsplit("/", 1)[-1],
        "size": result.get("size"), "files": result.get("files"),
        "written": result.get("bytesWritten", 0),
    }


def import_section(job: Job) -> tuple[str, dict[str, Any]]:
    result = job.result or {}
    done = job.status == JobStatus.SUCCEEDED and result.get("projectId")
    return "exports/job_import.html", {
        "project_id": result.get("projectId") if done else None, "title": result.get("title"),
        "chapters": result.get("chapters"), "assets": result.get("assets"), "videos": result.get("videos") or 0,
        "warnings": result.get("warnings") or [],
    }
