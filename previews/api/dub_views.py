"""Dub API: ask for a dub of a recording, read it (segments, stages, counts), edit a segment, resume."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from assets import selectors as asset_selectors
from contentizer import selectors as core
from contentizer.api.errors import ApiError
from contentizer.api.serializers_base import StrictInputMixin
from contentizer.jobs.api.serializers import JobResourceSerializer, job_representation, kind_field
from contentizer.jobs.models import JobStatus
from contentizer.languages import LANGUAGE_CODE
from previews.api.serializers import VideoStageSerializer
from previews.dubs import selectors, services
from previews.dubs.services import MAX_TARGETS, STAGES

_CODE = rf"^{LANGUAGE_CODE.pattern}\Z"
MAX_SEGMENT_CHARS = 2000


class DubCreateInputSerializer(StrictInputMixin, serializers.Serializer):
    projectId = serializers.IntegerField()
    asset = serializers.IntegerField(help_text="A video or audio asset of the project: the recording to dub")
    sourceLanguage = serializers.RegexField(_CODE, required=False, allow_null=True, default=None,
                                            help_text="What the recording speaks; detected when left out")
    targetLanguages = serializers.ListField(child=serializers.RegexField(_CODE), allow_empty=False,
                                            max_length=MAX_TARGETS)
    voices = serializers.DictField(child=serializers.CharField(max_length=120), required=False, default=dict,
                                   help_text='A voice per target language ({"pt-BR": "espeak:pt-br"}); '
                                             "the project's voice for the others")
    requestId = serializers.RegexField(r"^[A-Za-z0-9._:-]{1,64}\Z", required=False, allow_blank=True, default="")


class DubWordSerializer(serializers.Serializer):
    start = serializers.FloatField()
    end = serializers.FloatField()
    text = serializers.CharField(allow_blank=True)
    probability = serializers.FloatField()


class DubTranslationSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True)
    edited = serializers.BooleanField(help_text="Written by the author: never overwritten by a machine translation")


class DubSegmentSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    start = serializers.FloatField(help_text="Seconds into the recording")
    end = serializers.FloatField()
    text = serializers.CharField(allow_blank=True,
                                 help_text="What was said, as recognised or as the author corrected it")
    edited = serializers.BooleanField()
    words = DubWordSerializer(many=True, help_text="As recognised, with their times")
    translations = serializers.DictField(child=DubTranslationSerializer(), help_text="Per target language")


class DubLanguageCountsSerializer(serializers.Serializer):
    segmentsSpedUp = serializers.IntegerField()
    grownSeconds = serializers.FloatField()


class DubJobResultSerializer(serializers.Serializer):
    dubId = serializers.UUIDField(allow_null=True)
    videoId = serializers.UUIDField(allow_null=True, help_text="The dubbed video, once the job succeeded")
    sourceLanguage = serializers.CharField(allow_null=True, allow_blank=True)
    targetLanguages = serializers.ListField(child=serializers.CharField())
    segments = serializers.IntegerField(allow_null=True)
    segmentsSpedUp = serializers.IntegerField(allow_null=True, help_text="Spoken faster to fit their slot (every "
                                                                         "language)")
    grownSeconds = serializers.FloatField(allow_null=True, help_text="How much longer than the recording the "
                                                                     "longest dubbed picture is")
    synthesized = serializers.IntegerField(allow_null=True, help_text="Speech clips made by the last run")
    reused = serializers.IntegerField(allow_null=True, help_text="Speech clips the last run found made")
    stages = VideoStageSerializer(many=True)


class DubJobSerializer(JobResourceSerializer):
    """A dub job."""

    kind = kind_field("dub")
    result = DubJobResultSerializer()
    stages = VideoStageSerializer(many=True, help_text="Same as result.stages.")


class DubSummarySerializer(serializers.Serializer):
    dubId = serializers.UUIDField()
    jobId = serializers.UUIDField()
    projectId = serializers.IntegerField()
    assetId = serializers.IntegerField(allow_null=True, help_text="null once the asset was deleted")
    title = serializers.CharField(allow_blank=True)
    status = serializers.ChoiceField(choices=JobStatus.choices, help_text="The dub job's status")
    progress = serializers.FloatField(help_text="0 to 100")
    stage = serializers.CharField(allow_blank=True)
    sourceLanguage = serializers.CharField(allow_null=True, help_text="As asked for, or detected")
    targetLanguages = serializers.ListField(child=serializers.CharField())
    voices = serializers.DictField(child=serializers.CharField())
    segmentCount = serializers.IntegerField()
    segmentsSpedUp = serializers.IntegerField(allow_null=True)
    grownSeconds = serializers.FloatField(allow_null=True)
    languages = serializers.DictField(child=DubLanguageCountsSerializer(), help_text="Counts per target language")
    videoId = serializers.UUIDField(allow_null=True, help_text="The dubbed video (/api/videos/{id}), once ready")
    editedFrom = serializers.CharField(allow_null=True, help_text="The stage a resume starts from after the edits "
                                                                  "since the last run (translate or speak)")
    stages = VideoStageSerializer(many=True)
    createdAt = serializers.DateTimeField()
    updatedAt = serializers.DateTimeField()


class DubDetailSerializer(DubSummarySerializer):
    segments = DubSegmentSerializer(many=True)


class DubAcceptedSerializer(DubDetailSerializer):
    job = DubJobSerializer()


class DubSegmentEditInputSerializer(StrictInputMixin, serializers.Serializer):
    text = serializers.CharField(required=False, max_length=MAX_SEGMENT_CHARS,
                                 help_text="The source text (translated again on resume)")
    translations = serializers.DictField(child=serializers.CharField(max_length=MAX_SEGMENT_CHARS), required=False,
                                         help_text='{"pt-BR": "..."}: spoken again on resume')

    def validate(self, attrs):
        if "text" not in attrs and not attrs.get("translations"):
            raise serializers.ValidationError("Give text, translations, or both.")
        return attrs


class DubResumeInputSerializer(StrictInputMixin, serializers.Serializer):
    resumeFrom = serializers.ChoiceField(choices=list(STAGES), required=False,
                                         help_text="Default: the earliest stage the edits affect (a source text: "
                                                   "translate; a translation: speak)")


def _detail(dub, status_code: int = status.HTTP_200_OK) -> Response:
    return Response(DubDetailSerializer(selectors.dub_fields(dub)).data, status=status_code)


class DubListApi(GenericAPIView):
    serializer_class = DubSummarySerializer

    @extend_schema(summary="List your dubs, newest first", tags=["dubs"],
                   parameters=[OpenApiParameter("project", int, required=False)],
                   responses={200: DubSummarySerializer(many=True)})
    def get(self, request: Request) -> Response:
        project = request.query_params.get("project", "")
        dubs = selectors.dub_list(user=request.user, project=int(project) if project.isdigit() else None)
        page = self.paginate_queryset(dubs)
        return self.get_paginated_response(
            [DubSummarySerializer(selectors.dub_fields(dub, segments=False)).data for dub in page])

    @extend_schema(summary="Dub a recording (a video or audio asset) into other languages", tags=["dubs"],
                   request=DubCreateInputSerializer,
                   responses={202: DubAcceptedSerializer, 404: OpenApiResponse(description="No such project or asset"),
                              422: OpenApiResponse(description="No audio stream, or a language nothing here hears, "
                                                               "translates into or speaks")})
    def post(self, request: Request) -> Response:
        data = DubCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        body = data.validated_data
        project = core.project_get(user=request.user, project_id=body["projectId"])
        asset = asset_selectors.asset_get(user=request.user, asset_id=body["asset"])
        if asset.project_id != project.pk:
            raise ApiError("That asset belongs to another project.", code="not_found", status_code=404)
        dub = services.dub_request(owner=request.user, project=project, asset=asset,
                                   source_language=body["sourceLanguage"] or "",
                                   target_languages=body["targetLanguages"], voices=body["voices"],
                                   request_id=body["requestId"])
        fields = {**selectors.dub_fields(dub), "job": job_representation(dub.job)}
        return Response(DubAcceptedSerializer(fields).data, status=status.HTTP_202_ACCEPTED)


class DubDetailApi(APIView):
    @extend_schema(summary="A dub: status, stages, segments with their translations, counts", tags=["dubs"],
                   responses={200: DubDetailSerializer})
    def get(self, request: Request, dub_id) -> Response:
        return _detail(selectors.dub_get(user=request.user, dub_id=dub_id))


class DubSegmentApi(APIView):
    @extend_schema(summary="Correct one segment: its source text or its translations (marked edited)",
                   tags=["dubs"], request=DubSegmentEditInputSerializer,
                   responses={200: DubDetailSerializer, 409: OpenApiResponse(description="The dub's job is running")})
    def patch(self, request: Request, dub_id, index: int) -> Response:
        data = DubSegmentEditInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dub = services.dub_segment_edit(dub=selectors.dub_get(user=request.user, dub_id=dub_id), index=index,
                                        text=data.validated_data.get("text"),
                                        translations=data.validated_data.get("translations"))
        return _detail(selectors.dub_get(user=request.user, dub_id=dub.id))


class DubResumeApi(APIView):
    @extend_schema(summary="Make the dub again from a stage, reusing everything that did not change",
                   tags=["dubs"], request=DubResumeInputSerializer,
                   responses={202: DubDetailSerializer,
                              409: OpenApiResponse(description="Running, or nothing changed and no resumeFrom")})
    def post(self, request: Request, dub_id) -> Response:
        data = DubResumeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dub = services.dub_resume(dub=selectors.dub_get(user=request.user, dub_id=dub_id),
                                  resume_from=data.validated_data.get("resumeFrom"))
        return _detail(selectors.dub_get(user=request.user, dub_id=dub.id), status.HTTP_202_ACCEPTED)
