"""Reads of export and import jobs: their part of the job resource."""

from __future__ import annotations

from typing import Any

from contentizer.jobs.messages import public_error
from contentizer.jobs.models import Job, JobStatus
from exports import services


def export_job_fields(job: Job) -> dict[str, Any]:
    """An export's part of /api/v1/jobs/{id}, with the fields /api/export/{id} had before it
    became an alias (clients read them)."""
    result = job.result or {}
    ready = job.status == JobStatus.SUCCEEDED and bool(result.get("artifact"))
    download = f"/api/export/{job.pk}/download" if ready else None
    own = {
        "exportId": job.pk, "bytesWritten": result.get("bytesWritten", 0), "size": result.get("size"),
        "expired": bool(result.get("expired")), "downloadUrl": download,
        "signedUrl": services.signed_download_url(job) if ready else None,
    }
    return {
        "links": {"status": f"/api/export/{job.pk}", "artifact": download},
        "result": {**own, "files": result.get("files")},
        **own, "errors": [public_error(job.error)] if job.error else [],
    }


def import_job_fields(job: Job) -> dict[str, Any]:
    """An import's part of /api/v1/jobs/{id}: the project it made, once it made it."""
    result = job.result or {}
    project_id = result.get("projectId") if job.status == JobStatus.SUCCEEDED else None
    return {
        "links": {"artifact": f"/api/projects/{project_id}" if project_id else None},
        "result": {"projectId": project_id, "title": result.get("title"), "chapters": result.get("chapters"),
                   "assets": result.get("assets"), "videos": result.get("videos"),
                   "warnings": result.get("warnings", []), "uploadSize": job.payload.get("uploadSize")},
    }
