"""The job pages, one set for every kind of job: list, detail, cancel, retry.

They know nothing of previews, videos or exports: a kind adds its own section to the detail page
through `JobKind.section` in the registry. Progress goes live through the one jobs API
(`static/js/jobs.js` reads `/api/v1/jobs/{id}`).
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from contentizer.errors import ApplicationError
from contentizer.jobs import registry, selectors, services
from contentizer.jobs.messages import public_error
from contentizer.jobs.models import JobStatus

logger = logging.getLogger(__name__)

RETRYABLE = (JobStatus.FAILED, JobStatus.DEAD, JobStatus.CANCELLED)


def _kind(name: str) -> registry.JobKind | None:
    try:
        return registry.get(name)
    except LookupError:
        return None


@login_required
def job_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    jobs = selectors.job_list(
        user=request.user, kind=kind if kind in registry.names() and kind not in registry.unlisted() else None,
        status=status if status in JobStatus.values else None,
    ).select_related("project")
    page = Paginator(jobs, 50).get_page(request.GET.get("page"))
    kinds = [(name, registry.get(name).title) for name in registry.names() if name not in registry.unlisted()]
    return render(request, "jobs/list.html", {
        "page": page, "status": status, "kind": kind, "statuses": JobStatus.choices, "kinds": kinds,
    })


@login_required
def job_detail(request: HttpRequest, job_id) -> HttpResponse:
    job = selectors.job_get(user=request.user, job_id=job_id)
    kind = _kind(job.kind)
    template, context = kind.section(job) if kind and kind.section else ("", {})
    return render(request, "jobs/detail.html", {
        "job": job, "kind_title": kind.title if kind else job.kind, "section_template": template,
        "section": context, "error": public_error(job.error), "attempts": job.attempt_set.all(),
        "can_retry": job.status in RETRYABLE, "stages": kind.stages if kind else (),
    })


def _back(request: HttpRequest, job_id) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("job-detail-page", job_id=job_id)


@login_required
@require_POST
def job_cancel(request: HttpRequest, job_id) -> HttpResponse:
    job = selectors.job_get(user=request.user, job_id=job_id)
    try:
        services.job_cancel(job=job)
        messages.success(request, "Cancelled." if job.status == JobStatus.CANCELLED else "Stopping the job…")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return _back(request, job.pk)


@login_required
@require_POST
def job_retry(request: HttpRequest, job_id) -> HttpResponse:
    job = selectors.job_get(user=request.user, job_id=job_id)
    try:
        services.job_requeue(job=job, resume_from=request.POST.get("resume_from") or None)
        messages.success(request, "The job is queued again.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return _back(request, job.pk)
