"""Every Prometheus metric of Contentizer, in one place.

The worker metrics are computed from the job tables when /metrics is scraped, so they stay true
whichever process or machine ran the job: workers write rows, the web process reads them.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db.models import Count, Q, Sum
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import REGISTRY, Collector

logger = logging.getLogger(__name__)

DURATION_BUCKETS = (0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800)
OUTCOMES = ("success", "failure", "retry")


def _families(kind: str):
    jobs = CounterMetricFamily(
        f"{kind}_worker_jobs", f"Finished {kind} job attempts by outcome.", labels=["outcome"]
    )
    duration = HistogramMetricFamily(
        f"{kind}_worker_job_duration_seconds", f"Wall time of successful {kind} job attempts."
    )
    queue = GaugeMetricFamily(f"{kind}_worker_queue_size", f"{kind.capitalize()} jobs waiting to run.")
    active = GaugeMetricFamily(f"{kind}_worker_active_jobs", f"{kind.capitalize()} jobs running now.")
    return jobs, duration, queue, active


class JobMetricsCollector(Collector):
    def __init__(self, kind: str) -> None:
        self.kind = kind

    def describe(self):
        # Without describe(), registering would call collect() and query the database at import.
        return list(_families(self.kind))

    def collect(self):
        from contentizer.jobs.models import Job, JobAttempt, JobStatus

        jobs, duration, queue, active = _families(self.kind)
        attempts = JobAttempt.objects.filter(kind=self.kind)
        counts = dict(attempts.values_list("outcome").annotate(n=Count("id")))
        for outcome in OUTCOMES:
            jobs.add_metric([outcome], counts.get(outcome, 0))
        done = attempts.filter(outcome="success", duration__isnull=False)
        per_bucket = done.aggregate(**{f"le{i}": Count("id", filter=Q(duration__lte=b))
                                       for i, b in enumerate(DURATION_BUCKETS)})
        total = done.aggregate(n=Count("id"), s=Sum("duration"))
        buckets = [(str(b), per_bucket[f"le{i}"]) for i, b in enumerate(DURATION_BUCKETS)]
        duration.add_metric([], buckets + [("+Inf", total["n"])], sum_value=total["s"] or 0.0)
        status = dict(Job.objects.filter(kind=self.kind).values_list("status").annotate(n=Count("id")))
        queue.add_metric([], status.get(JobStatus.QUEUED, 0))
        active.add_metric([], status.get(JobStatus.RUNNING, 0))
        yield from (jobs, duration, queue, active)


_registered: set[str] = set()


def register_job_metrics(kind: str) -> None:
    if kind not in _registered:
        REGISTRY.register(JobMetricsCollector(kind))
        _registered.add(kind)


class RenderMetricsCollector(Collector):
    """Capacity of the render fleet: piece jobs waiting, running and rendered, and how many
    seconds of rendering each second of finished video took (docs/operations.md)."""

    WINDOW_SECONDS = 3600

    def describe(self):
        return list(self._families())

    @staticmethod
    def _families():
        return (
            GaugeMetricFamily("video_pieces", "Piece jobs of long videos by state (queued, running).",
                              labels=["state"]),
            CounterMetricFamily("video_pieces_rendered", "Piece jobs that rendered their pieces."),
            CounterMetricFamily("video_render_seconds", "Wall seconds of finished videos' render stages."),
            CounterMetricFamily("video_output_seconds", "Seconds of video those render stages made."),
            GaugeMetricFamily("video_render_seconds_per_output_second",
                              "Render seconds per second of video, over videos finished in the last hour "
                              "(NaN when none did)."),
        )

    def collect(self):
        from django.apps import apps
        from django.utils import timezone

        from contentizer.jobs.models import Job, JobStatus

        pieces, rendered, render_s, output_s, ratio = self._families()
        status = dict(Job.objects.filter(kind="piece").values_list("status").annotate(n=Count("id")))
        pieces.add_metric(["queued"], status.get(JobStatus.QUEUED, 0))
        pieces.add_metric(["running"], status.get(JobStatus.RUNNING, 0))
        rendered.add_metric([], status.get(JobStatus.SUCCEEDED, 0))
        videos = apps.get_model("previews", "Video").objects.filter(render_seconds__isnull=False,
                                                                    duration__isnull=False)
        total = videos.aggregate(r=Sum("render_seconds"), o=Sum("duration"))
        render_s.add_metric([], total["r"] or 0.0)
        output_s.add_metric([], total["o"] or 0.0)
        since = timezone.now() - timedelta(seconds=self.WINDOW_SECONDS)
        recent = videos.filter(finished_at__gte=since).aggregate(r=Sum("render_seconds"), o=Sum("duration"))
        ratio.add_metric([], (recent["r"] / recent["o"]) if recent["o"] else float("nan"))
        yield from (pieces, rendered, render_s, output_s, ratio)


def register_render_metrics() -> None:
    if "render" not in _registered:
        REGISTRY.register(RenderMetricsCollector())
        _registered.add("render")
