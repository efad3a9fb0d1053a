"""The one job resource: the same fields for every kind, a kind-typed `result`, and links.

Each kind registers an output serializer (a JobResourceSerializer subclass naming its `kind` and
typing its `result`) and a `describe` function giving the kind's values; `job_representation`
renders any job with them, for /api/v1/jobs, the kinds' older status routes (thin aliases) and
webhook events alike.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from contentizer.api.serializers_base import StrictInputMixin
from contentizer.jobs import registry, selectors
from contentizer.jobs.messages import public_error
from contentizer.jobs.models import Job, JobStatus


def kind_field(name: str) -> serializers.Field:
    """The discriminator of a kind's job schema: a one-value enum, inline (no shared component)."""

    @extend_schema_field({"type": "string", "enum": [name]})
    class KindField(serializers.CharField):
        pass

    return KindField(help_text="The kind of job; says which `result` it has.")


class JobLinksSerializer(serializers.Serializer):
    self = serializers.CharField(help_text="This resource: GET to read it, DELETE to cancel the job.")
    events = serializers.CharField(help_text="Live progress as Server-Sent Events.")
    retry = serializers.CharField(help_text="POST to run a failed, dead or cancelled job again.")
    status = serializers.CharField(help_text="The kind's own status route, an alias that answers this same body.")
    artifact = serializers.CharField(allow_null=True, help_text="The job's output, once there is one.")


class JobFailureSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    details = serializers.DictField()


class JobResourceSerializer(serializers.Serializer):
    """What every kind of job shows. Timestamps are RFC 3339 in UTC (`Z`)."""

    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=JobStatus.choices)
    progress = serializers.FloatField(help_text="0 to 100.")
    stage = serializers.CharField(allow_blank=True)
    attempts = serializers.IntegerField()
    maxAttempts = serializers.IntegerField()
    error = serializers.CharField(
        allow_blank=True,
        help_text="The last attempt's error, if any: one sentence, without server paths or tool output "
                  "(operators read the whole text in the admin).",
    )
    failure = JobFailureSerializer(
        allow_null=True,
        help_text="Why a failed or dead job ended, in the one error format (code, message, details).",
    )
    projectId = serializers.IntegerField(allow_null=True)
    requestId = serializers.CharField(allow_blank=True)
    createdAt = serializers.DateTimeField()
    startedAt = serializers.DateTimeField(allow_null=True)
    finishedAt = serializers.DateTimeField(allow_null=True)
    queuedSeconds = serializers.FloatField(allow_null=True)
    runSeconds = serializers.FloatField(allow_null=True)
    links = JobLinksSerializer()


class GenericJobSerializer(JobResourceSerializer):
    """For a kind that registered no serializer of its own (none of the product's)."""

    kind = serializers.CharField()
    result = serializers.DictField()


def job_resource_schema(*, many: bool = False) -> PolymorphicProxySerializer:
    """The `Job` schema: one of the kinds' schemas, told apart by `kind` (built lazily, once every
    app has registered its kinds)."""
    return PolymorphicProxySerializer(
        component_name="Job", resource_type_field_name="kind", many=many,
        serializers=lambda: {name: kind.serializer for name, kind in registry.described().items()},
    )


def _common(job: Job) -> dict[str, Any]:
    url = f"/api/v1/jobs/{job.pk}"
    return {
        "id": job.pk, "kind": job.kind, "status": job.status, "progress": job.progress, "stage": job.stage,
        "attempts": job.attempts, "maxAttempts": job.max_attempts, "error": public_error(job.error),
        "failure": selectors.job_failure(job), "projectId": job.project_id, "requestId": job.request_id,
        "createdAt": job.created_at, "startedAt": job.started_at, "finishedAt": job.finished_at,
        "queuedSeconds": selectors.seconds_between(job.started_at, job.created_at),
        "runSeconds": selectors.seconds_between(job.finished_at, job.started_at),
        "links": {"self": url, "events": f"{url}/events", "retry": f"{url}/retry", "status": url, "artifact": None},
        "result": {},
    }


def job_representation(job: Job) -> dict[str, Any]:
    """The job as the API shows it, JSON-ready."""
    data = _common(job)
    try:
        kind = registry.get(job.kind)
    except LookupError:
        kind = None
    if kind is not None and kind.describe is not None:
        own = kind.describe(job)
        data["links"].update(own.pop("links", {}))
        data.update(own)
    serializer = kind.serializer if kind is not None and kind.serializer is not None else GenericJobSerializer
    return serializer(data).data


class JobListQuerySerializer(serializers.Serializer):
    kind = serializers.CharField(required=False, max_length=32)
    status = serializers.ChoiceField(choices=JobStatus.choices, required=False)
    project = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)


class JobRetryInputSerializer(StrictInputMixin, serializers.Serializer):
    resumeFrom = serializers.CharField(
        required=False, max_length=32,
        help_text="For staged jobs: the stage to resume from, reusing the outputs of the stages before it.",
    )
