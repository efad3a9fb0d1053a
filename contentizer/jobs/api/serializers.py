from __future__ import annotations

from rest_framework import serializers

from contentizer.api.serializers_base import StrictInputMixin
from contentizer.jobs.models import JobStatus


class JobSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.CharField()
    status = serializers.ChoiceField(choices=JobStatus.choices)
    progress = serializers.FloatField()
    stage = serializers.CharField()
    attempts = serializers.IntegerField()
    maxAttempts = serializers.IntegerField()
    error = serializers.CharField(allow_blank=True)
    projectId = serializers.IntegerField(allow_null=True)
    requestId = serializers.CharField(allow_blank=True)
    createdAt = serializers.DateTimeField()
    startedAt = serializers.DateTimeField(allow_null=True)
    finishedAt = serializers.DateTimeField(allow_null=True)
    queuedSeconds = serializers.FloatField(allow_null=True)
    runSeconds = serializers.FloatField(allow_null=True)


class JobListQuerySerializer(serializers.Serializer):
    kind = serializers.CharField(required=False, max_length=32)
    status = serializers.ChoiceField(choices=JobStatus.choices, required=False)
    project = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)


class JobRetryInputSerializer(StrictInputMixin, serializers.Serializer):
    resumeFrom = serializers.CharField(
        required=False, max_length=32,
        help_text="For staged jobs: the stage to resume from, reusing the outputs of the stages before it.",
    )
