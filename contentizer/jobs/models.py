"""Jobs: our own rows, the truth about every background job whatever the broker says."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    DEAD = "dead", "Dead (out of attempts)"


FINISHED = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.DEAD)


class Job(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=32, db_index=True)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs")
    project = models.ForeignKey(
        "contentizer.Project", null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    request_id = models.CharField(max_length=64, blank=True, default="")
    payload = models.JSONField(default=dict, blank=True)
    progress = models.FloatField(default=0.0)
    stage = models.CharField(max_length=32, blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=3)
    error = models.TextField(blank=True, default="")
    log_tail = models.TextField(blank=True, default="")
    result = models.JSONField(default=dict, blank=True)
    cancel_requested = models.BooleanField(default=False)
    worker = models.CharField(max_length=100, blank=True, default="")
    # Fan-out (services.job_fan_out): a job may hand parts of its work to child jobs that any
    # worker takes, and wait for them without holding a worker. A child names its parent and the
    # parent's batch it belongs to; a parent counts its batches: `fan_out` is the latest, and
    # `fan_in` the latest whose children have all ended (the one join it was woken for).
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    batch = models.PositiveIntegerField(default=0)
    fan_out = models.PositiveIntegerField(default=0)
    fan_in = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    not_before = models.DateTimeField(null=True, blank=True, help_text="backoff: not retried before")
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "kind"], name="job_status_kind"),
            models.Index(fields=["owner", "-created_at"], name="job_owner_created"),
            models.Index(fields=["parent", "batch"], name="job_parent_batch"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "kind", "request_id"], condition=~models.Q(request_id=""),
                name="job_unique_request_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.id} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


class AttemptOutcome(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCESS = "success", "Success"
    FAILURE = "failure", "Failure"
    RETRY = "retry", "Retry"
    CANCELLED = "cancelled", "Cancelled"
    WAITING = "waiting", "Waiting for its child jobs"


class JobAttempt(models.Model):
    """One run of a job by a worker: the source of the worker metrics and of the timings."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="attempt_set")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=32)
    outcome = models.CharField(max_length=16, choices=AttemptOutcome.choices, default=AttemptOutcome.RUNNING)
    worker = models.CharField(max_length=100, blank=True, default="")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration = models.FloatField(null=True, blank=True, help_text="seconds")
    error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["job", "number"]
        constraints = [models.UniqueConstraint(fields=["job", "number"], name="attempt_unique_number")]
        indexes = [models.Index(fields=["kind", "outcome"], name="attempt_kind_outcome")]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.job_id} ({self.outcome})"


class JobSlot(models.Model):
    """One row per job kind, locked while a worker counts running jobs of that kind, so the
    concurrency bound holds across processes and machines."""

    kind = models.CharField(max_length=32, primary_key=True)

    def __str__(self) -> str:
        return self.kind


class StageStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    REUSED = "reused", "Reused (same inputs as an earlier run)"
    WAITING = "waiting", "Waiting for its child jobs (runs again when they end)"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class StageRun(models.Model):
    """One stage of one attempt of a staged job: its input hash, outputs, timings and log."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="stage_runs")
    attempt = models.PositiveIntegerField()
    stage = models.CharField(max_length=16)
    input_hash = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=StageStatus.choices, default=StageStatus.RUNNING)
    outputs = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    log = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["job", "attempt", "id"]
        constraints = [
            models.UniqueConstraint(fields=["job", "attempt", "stage"], name="stagerun_unique_per_attempt")
        ]

    def __str__(self) -> str:
        return f"{self.stage} of {self.job_id} (attempt {self.attempt}, {self.status})"
