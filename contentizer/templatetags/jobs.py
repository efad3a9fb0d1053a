"""Template helpers of the job pages."""

from __future__ import annotations

import logging

from django import template
from django.utils.html import json_script
from django.utils.safestring import SafeString

from contentizer.jobs.messages import public_error
from contentizer.jobs.models import JobStatus

logger = logging.getLogger(__name__)
register = template.Library()


@register.simple_tag
def job_status_labels() -> SafeString:
    """The status names people read, from the one list, for static/js/jobs.js."""
    return json_script(dict(JobStatus.choices), "job-status-labels")


@register.filter(name="public_error")
def public_error_filter(error: str) -> str:
    """An error as authors read it: one sentence, no server paths, no tool output."""
    return public_error(error)
