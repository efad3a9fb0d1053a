"""The job dashboard: server-rendered pages, owner-scoped, live by polling the status API."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from contentizer import selectors as core
from contentizer.api.errors import ApiError
from contentizer.jobs import selectors as job_selectors
from contentizer.jobs import services as jobs
from contentizer.jobs.models import JobStatus
from previews import compile as compiler
from previews import pipeline, services
from previews.models import StageRun, Video
from previews.timeline import Timeline

ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)


@login_required
def job_list(request: HttpRequest) -> HttpResponse:
    qs = job_selectors.job_list(user=request.user).select_related("project")
    status, kind = request.GET.get("status", ""), request.GET.get("kind", "")
    if status in JobStatus.values:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "dashboard/jobs.html", {
        "page": page, "status": status, "kind": kind, "statuses": JobStatus.choices,
        "kinds": job_selectors.job_list(user=request.user).values_list("kind", flat=True).distinct(),
        "live": any(job.status in ACTIVE for job in page),
    })


@login_required
def job_detail(request: HttpRequest, job_id) -> HttpResponse:
    job = job_selectors.job_get(user=request.user, job_id=job_id)
    timeline = Timeline.parse(job.payload["timeline"]) if job.payload.get("timeline") else None
    labels = job.payload.get("steps", [])
    scenes = list(zip(timeline.scenes, timeline.starts(), labels, strict=False)) if timeline else []
    video = Video.objects.filter(job=job).first()
    return render(request, "dashboard/job.html", {
        "job": job, "timeline": timeline, "scenes": scenes, "live": job.status in ACTIVE,
        "attempts": job.attempt_set.all(), "artifact": (job.result or {}).get("artifact"),
        "mime": (job.result or {}).get("mime", ""), "video": video,
        "download_url": f"/api/export/{job.pk}/download" if job.kind == "export" else f"/api/preview/{job.pk}/artifact",
        "artifact_name": ((job.result or {}).get("artifact") or "").rsplit("/", 1)[-1],
        "stage_runs": StageRun.objects.filter(job=job).order_by("attempt", "id") if video else [],
        "stages": pipeline.STAGES if video else (),
        "can_retry": job.status in (JobStatus.FAILED, JobStatus.DEAD, JobStatus.CANCELLED),
    })


@login_required
@require_POST
def job_action(request: HttpRequest, job_id, action: str) -> HttpResponse:
    job = job_selectors.job_get(user=request.user, job_id=job_id)
    try:
        if action == "cancel":
            jobs.job_cancel(job=job)
        elif action == "retry":
            jobs.job_requeue(job=job, resume_from=request.POST.get("resume_from") or None)
    except ApiError as exc:
        messages.error(request, str(exc.detail))
    return redirect("job-detail-page", job_id=job.pk)


@login_required
@require_POST
def chapter_preview(request: HttpRequest, chapter_id: int) -> HttpResponse:
    chapter = core.chapter_get(user=request.user, chapter_id=chapter_id)
    try:
        submitted = services.preview_request(
            owner=request.user, project=chapter.project, steps=compiler.chapter_steps(chapter),
            dry_run=request.POST.get("dry_run") == "1", chapter_id=chapter.pk,
        )
    except ApiError as exc:
        messages.error(request, str(exc.detail))
        return redirect("project-detail-page", project_id=chapter.project_id)
    return redirect("job-detail-page", job_id=submitted.job.pk)


@login_required
@require_POST
def chapter_video(request: HttpRequest, chapter_id: int) -> HttpResponse:
    chapter = core.chapter_get(user=request.user, chapter_id=chapter_id)
    try:
        video = pipeline.video_request(owner=request.user, project=chapter.project, chapter=chapter, height=720,
                                       languages=None, music=None)
    except ApiError as exc:
        messages.error(request, str(exc.detail))
        return redirect("project-detail-page", project_id=chapter.project_id)
    return redirect("job-detail-page", job_id=video.job_id)
