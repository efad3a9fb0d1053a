"""The job dashboard: server-rendered pages, owner-scoped, live by polling the status API."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from contentizer import selectors as core
from contentizer.api.errors import ApiError
from contentizer.jobs import services as jobs
from contentizer.jobs.models import Job, JobStatus, StageRun
from previews import compile as compiler
from previews import services
from previews.compile import Format
from previews.models import Video
from previews.timeline import Timeline
from previews.videos import services as videos

ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)


@login_required
def job_list(request: HttpRequest) -> HttpResponse:
    qs = Job.objects.filter(owner=request.user).select_related("project")
    status, kind = request.GET.get("status", ""), request.GET.get("kind", "")
    if status in JobStatus.values:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "dashboard/jobs.html", {
        "page": page, "status": status, "kind": kind, "statuses": JobStatus.choices,
        "kinds": Job.objects.filter(owner=request.user).values_list("kind", flat=True).distinct(),
        "live": any(job.status in ACTIVE for job in page),
    })


@login_required
def job_detail(request: HttpRequest, job_id) -> HttpResponse:
    job = get_object_or_404(Job.objects.select_related("project"), pk=job_id, owner=request.user)
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
        "stages": videos.STAGES if video else (),
        "can_retry": job.status in (JobStatus.FAILED, JobStatus.DEAD, JobStatus.CANCELLED),
    })


@login_required
@require_POST
def job_action(request: HttpRequest, job_id, action: str) -> HttpResponse:
    job = get_object_or_404(Job, pk=job_id, owner=request.user)
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
        video = videos.video_request(owner=request.user, project=chapter.project, chapter=chapter,
                                     fmt=Format(resolution=720), languages=None, music=None)
    except ApiError as exc:
        messages.error(request, str(exc.detail))
        return redirect("project-detail-page", project_id=chapter.project_id)
    return redirect("job-detail-page", job_id=video.job_id)
