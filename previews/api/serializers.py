"""Preview API payloads, in the camelCase clients already send."""

from __future__ import annotations

from rest_framework import serializers

from contentizer import transitions
from contentizer.api.serializers_base import StrictInputMixin, TransitionField
from previews.compile import ASPECTS, RESOLUTIONS

AssetRef = serializers.CharField  # an asset id ("12") or the sha256 of one of the project's assets


class PreviewStepInputSerializer(StrictInputMixin, serializers.Serializer):
    caption = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    duration = serializers.FloatField(min_value=0.1, max_value=3600)
    asset = AssetRef(required=False, allow_null=True, max_length=64)
    narration = AssetRef(required=False, allow_null=True, max_length=64, help_text="an audio asset")
    transition = TransitionField(required=False, default=transitions.DEFAULT)
    transitionDuration = serializers.FloatField(min_value=0, max_value=5, required=False, default=0.5)


class PreviewMusicInputSerializer(StrictInputMixin, serializers.Serializer):
    asset = AssetRef(max_length=64)
    volume = serializers.FloatField(min_value=0, max_value=2, required=False, default=0.3)


class PreviewAudioInputSerializer(StrictInputMixin, serializers.Serializer):
    music = PreviewMusicInputSerializer(required=False, allow_null=True)


class PreviewRequestBodySerializer(StrictInputMixin, serializers.Serializer):
    chapterId = serializers.IntegerField(required=False, allow_null=True)
    steps = PreviewStepInputSerializer(many=True, required=False, max_length=500)
    assets = serializers.ListField(child=AssetRef(max_length=64), required=False, max_length=500)
    audio = PreviewAudioInputSerializer(required=False)
    aspect = serializers.ChoiceField(choices=list(ASPECTS), required=False, default="16:9",
                                     help_text="16:9 (landscape), 9:16 (portrait) or 1:1 (square)")
    resolution = serializers.ChoiceField(choices=list(RESOLUTIONS), required=False, allow_null=True, default=None,
                                         help_text="the short edge; default PREVIEW_HEIGHT (480p)")

    def validate(self, attrs):
        if not attrs.get("chapterId") and not attrs.get("steps"):
            raise serializers.ValidationError("Give a chapterId, steps, or both.")
        return attrs


class PreviewCreateInputSerializer(StrictInputMixin, serializers.Serializer):
    jobId = serializers.UUIDField(required=False, allow_null=True)
    projectId = serializers.IntegerField()
    previewRequest = PreviewRequestBodySerializer()
    dryRun = serializers.BooleanField(required=False, default=False)
    requestId = serializers.RegexField(r"^[A-Za-z0-9._:-]{1,64}$", required=False, allow_blank=True, default="")


class PreviewAcceptedSerializer(serializers.Serializer):
    jobId = serializers.UUIDField()
    status = serializers.CharField()
    statusUrl = serializers.CharField()
    artifactUrl = serializers.CharField()


class JobTimingsSerializer(serializers.Serializer):
    createdAt = serializers.DateTimeField()
    startedAt = serializers.DateTimeField(allow_null=True)
    finishedAt = serializers.DateTimeField(allow_null=True)
    queuedSeconds = serializers.FloatField(allow_null=True)
    runSeconds = serializers.FloatField(allow_null=True)


class PreviewStatusSerializer(serializers.Serializer):
    jobId = serializers.UUIDField()
    status = serializers.CharField()
    progress = serializers.FloatField()
    stage = serializers.CharField()
    attempts = serializers.IntegerField()
    maxAttempts = serializers.IntegerField()
    dryRun = serializers.BooleanField()
    error = serializers.CharField(allow_blank=True)
    timings = JobTimingsSerializer()
    artifactUrl = serializers.CharField(allow_null=True)
    requestId = serializers.CharField(allow_blank=True)
