"""Staged jobs: a job kind made of named stages run in order, each keyed by a hash of its inputs.

Every stage of every attempt is recorded as a StageRun (input hash, outputs, timings, log).
A retry reuses each stage whose inputs are unchanged and whose outputs (storage keys anywhere
in its outputs under a name ending in `key`) still exist; `resumeFrom` in the job's payload
forces that stage and the ones after it to run again while reusing the ones before. Any job
kind can use it: subclass StagedJob, name the stages, define `inputs()` and `stage_<name>()`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from typing import Any

from django.utils import timezone

from contentizer.jobs.errors import JobCancelled, JobWaiting
from contentizer.jobs.models import Job, StageRun, StageStatus
from contentizer.jobs.runner import JobContext
from contentizer.media.ffmpeg import FFmpegCancelled
from contentizer.storage import trusted

logger = logging.getLogger(__name__)


def stable_hash(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def output_keys(outputs: Any) -> list[str]:
    """Storage keys mentioned anywhere in a stage's outputs (values under keys named *key)."""
    if isinstance(outputs, dict):
        return [k for name, value in outputs.items() for k in
                ([value] if name.lower().endswith("key") and isinstance(value, str) else output_keys(value))]
    if isinstance(outputs, list):
        return [k for value in outputs for k in output_keys(value)]
    return []


def reusable_run(job: Job, stage: str, input_hash: str) -> StageRun | None:
    run = StageRun.objects.filter(
        job=job, stage=stage, input_hash=input_hash, status__in=[StageStatus.SUCCEEDED, StageStatus.REUSED]
    ).order_by("-id").first()
    if run and all(trusted(key) for key in output_keys(run.outputs)):
        return run
    return None


def kept_keys(job: Job) -> set[str]:
    """Storage keys of every finished stage of a job: what a failed attempt's cleanup keeps."""
    finished = StageRun.objects.filter(job=job, status__in=[StageStatus.SUCCEEDED, StageStatus.REUSED])
    return {key for run in finished for key in output_keys(run.outputs)}


class StagedJob:
    stages: tuple[str, ...] = ()
    weights: dict[str, float] = {}  # share of the progress bar per stage
    # A stage's typed output: a class with `to_json()` and `from_json()`. Its stage method returns one,
    # its JSON is what StageRun records (and what later stages' input hashes see), and `self.values`
    # holds the typed value, read back once when an earlier run stands in. Stages not named here
    # return their JSON as it is.
    types: dict[str, type] = {}

    def __init__(self, ctx: JobContext) -> None:
        self.ctx, self.job = ctx, ctx.job
        self.outputs: dict[str, dict] = {}
        self.values: dict[str, Any] = {}
        self.done_weight = 0.0

    def inputs(self, stage: str) -> dict:
        raise NotImplementedError

    def percent(self, stage: str, fraction: float) -> float:
        """Where the progress bar stands `fraction` of the way through `stage`."""
        total = sum(self.weights.values()) or 1
        return min(99.0, (self.done_weight + self.weights.get(stage, 0) * fraction) * 100 / total)

    def progress(self, stage: str, fraction: float) -> None:
        self.ctx.progress(self.percent(stage, fraction), stage)

    def run_stages(self) -> dict[str, dict]:
        resume = self.job.payload.get("resumeFrom")
        forced = self.stages.index(resume) if resume in self.stages else len(self.stages)
        for index, stage in enumerate(self.stages):
            self.ctx.check_cancelled()
            inputs = self.inputs(stage)
            input_hash = stable_hash(inputs)
            previous = reusable_run(self.job, stage, input_hash) if index < forced or not resume else None
            if previous is not None:
                self.outputs[stage] = previous.outputs
                kind = self.types.get(stage)
                self.values[stage] = kind.from_json(previous.outputs) if kind else previous.outputs
                StageRun.objects.create(job=self.job, attempt=self.job.attempts, stage=stage, input_hash=input_hash,
                                        status=StageStatus.REUSED, outputs=previous.outputs,
                                        finished_at=timezone.now(), duration=0.0)
            else:
                self.outputs[stage] = self._run_stage(stage, inputs, input_hash)
            self.done_weight += self.weights.get(stage, 0)
        return self.outputs

    def _run_stage(self, stage: str, inputs: dict, input_hash: str) -> dict:
        run = StageRun.objects.create(job=self.job, attempt=self.job.attempts, stage=stage, input_hash=input_hash)
        started = time.monotonic()
        self.progress(stage, 0)
        try:
            value = getattr(self, f"stage_{stage}")(inputs)
            outputs = value.to_json() if stage in self.types else value
            self.values[stage] = value
        except JobWaiting:  # its work fanned out to child jobs: it runs again when they end
            run.status = StageStatus.WAITING
            self._close(run, started)
            raise
        except BaseException as exc:
            cancelled = isinstance(exc, (FFmpegCancelled, JobCancelled))
            run.status = StageStatus.CANCELLED if cancelled else StageStatus.FAILED
            run.error = str(exc)[:8000]
            self._close(run, started)
            raise
        run.status, run.outputs = StageStatus.SUCCEEDED, outputs
        self._close(run, started)
        logger.info("stage finished", extra={"event": f"{self.job.kind}.stage", "stage": stage,
                                             "duration": run.duration, "jobId": str(self.job.id)})
        return outputs

    def _close(self, run: StageRun, started: float) -> None:
        run.finished_at, run.duration = timezone.now(), round(time.monotonic() - started, 3)
        run.log = self.ctx.log_tail()[-4000:]
        run.save()
