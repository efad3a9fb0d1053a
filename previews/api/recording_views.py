"""A step's narration in the author's own voice: PUT an asset as the recording of one language (then
transcribed by a job), DELETE it to have the voice say the narration again."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from assets.models import Asset
from contentizer import selectors as core
from contentizer.api.serializers import StepRecordingSerializer
from contentizer.api.serializers_base import StrictInputMixin
from contentizer.errors import UnprocessableEntity
from contentizer.jobs.api.serializers import job_representation
from previews.api.serializers import RecordingChapterJobSerializer, TranscribeJobSerializer
from previews.api.voice_views import LANGUAGE
from previews.recordings import chapters, narration


class StepRecordingInputSerializer(StrictInputMixin, serializers.Serializer):
    asset = serializers.IntegerField(help_text="An audio asset of the step's project (wav, mp3, m4a, ogg, flac, "
                                               "webm as a browser records it), or a video with sound.")
    requestId = serializers.RegexField(r"^[A-Za-z0-9._:-]{1,64}\Z", required=False, allow_blank=True, default="")


StepRecordingResultSerializer = inline_serializer("StepRecordingResult", {
    "recording": StepRecordingSerializer(),
    "job": TranscribeJobSerializer(allow_null=True, help_text="null when no recogniser hears the language"),
})


class StepRecordingApi(APIView):
    @extend_schema(summary="Record a step's narration in one language: the recording is said instead of the voice, "
                           "and a job transcribes it into the narration text (only where the author wrote none)",
                   tags=["steps"], request=StepRecordingInputSerializer, responses={
                       202: StepRecordingResultSerializer,
                       422: OpenApiResponse(description="Not an asset of the project, no sound, longer than "
                                                        "RECORDING_MAX_SECONDS, or not a project language")})
    def put(self, request: Request, step_id: int, language: str) -> Response:
        step = core.step_get(user=request.user, step_id=step_id)
        data = StepRecordingInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        asset = Asset.objects.select_related("blob").filter(pk=data.validated_data["asset"],
                                                            project=step.chapter.project).first()
        if asset is None:
            raise UnprocessableEntity("asset is not an asset of this step's project.", code="invalid_asset",
                                      details={"fields": {"asset": "not an asset of this project"}})
        attached = narration.step_recording_attach(owner=request.user, step=step, language=language, asset=asset,
                                                   request_id=data.validated_data["requestId"])
        return Response({"recording": StepRecordingSerializer(attached.recording).data,
                         "job": job_representation(attached.job) if attached.job else None},
                        status=status.HTTP_202_ACCEPTED)

    @extend_schema(summary="Remove a step's recorded narration in one language (the voice says its text again)",
                   tags=["steps"], responses={204: None, 422: OpenApiResponse(description="No recording there")})
    def delete(self, request: Request, step_id: int, language: str) -> Response:
        step = core.step_get(user=request.user, step_id=step_id)
        narration.step_recording_remove(step=step, language=language)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChapterFromRecordingInputSerializer(StrictInputMixin, serializers.Serializer):
    asset = serializers.IntegerField(help_text="A video (or sound) asset of the project with speech.")
    language = serializers.RegexField(LANGUAGE, required=False, help_text="A project language: what is spoken "
                                                                          "(default: the project's first).")
    title = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                  help_text="The new chapter's title (default: the recording's file name).")
    requestId = serializers.RegexField(r"^[A-Za-z0-9._:-]{1,64}\Z", required=False, allow_blank=True, default="")


class ChapterFromRecordingApi(APIView):
    @extend_schema(summary="Turn a recording into a chapter (a job): one step per spoken part, cut also where the "
                           "picture changes, each a clip of the recording with what was said as its narration",
                   tags=["chapters"], request=ChapterFromRecordingInputSerializer, responses={
                       202: RecordingChapterJobSerializer,
                       422: OpenApiResponse(description="Not an asset of the project, no sound, longer than "
                                                        "RECORDING_CHAPTER_MAX_SECONDS, not a project language, or "
                                                        "no speech recognition model hears it")})
    def post(self, request: Request, project_id: int) -> Response:
        project = core.project_get(user=request.user, project_id=project_id)
        data = ChapterFromRecordingInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        body = data.validated_data
        asset = Asset.objects.select_related("blob").filter(pk=body["asset"], project=project).first()
        if asset is None:
            raise UnprocessableEntity("asset is not an asset of this project.", code="invalid_asset",
                                      details={"fields": {"asset": "not an asset of this project"}})
        submitted = chapters.chapter_from_recording_request(
            owner=request.user, project=project, asset=asset, language=body.get("language"),
            title=body.get("title", ""), request_id=body["requestId"])
        return Response(job_representation(submitted.job), status=status.HTTP_202_ACCEPTED)
