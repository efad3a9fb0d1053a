"""Voices API: the installed voices, a spoken sample of one, and a project's narration choices
(voice and rate per language, pronunciation lexicon)."""

from __future__ import annotations

import re

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle, UserRateThrottle
from rest_framework.views import APIView

from contentizer import selectors as core
from contentizer.api.errors import ApiError
from contentizer.api.pagination import PageNumberPagination
from contentizer.api.serializers_base import StrictInputMixin
from previews import tts
from previews.models import LexiconEntry
from previews.tts import selectors, services

LANGUAGE = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*\Z"
_LANGUAGE_RE = re.compile(LANGUAGE)


class VoiceSerializer(serializers.Serializer):
    id = serializers.CharField()
    engine = serializers.CharField()
    name = serializers.CharField()
    language = serializers.CharField()
    sampleRate = serializers.IntegerField(source="sample_rate")
    neural = serializers.BooleanField()
    licence = serializers.CharField()
    modelSha256 = serializers.CharField(source="model_sha256", allow_blank=True)
    available = serializers.BooleanField()
    problem = serializers.CharField(allow_blank=True, help_text="why the voice cannot be used; empty when it can")


class VoicePageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = VoiceSerializer(many=True)


class VoiceSampleInputSerializer(StrictInputMixin, serializers.Serializer):
    text = serializers.CharField(max_length=2000, help_text="at most TTS_SAMPLE_MAX_CHARS characters (300)")
    rate = serializers.FloatField(min_value=0.5, max_value=2.0, required=False, default=1.0)
    language = serializers.RegexField(LANGUAGE, required=False, help_text="defaults to the voice's language")
    projectId = serializers.IntegerField(required=False, help_text="read with this project's lexicon")

    def validate_text(self, value: str) -> str:
        if len(value) > settings.TTS_SAMPLE_MAX_CHARS:
            raise serializers.ValidationError(f"A sample is at most {settings.TTS_SAMPLE_MAX_CHARS} characters.")
        return value


def _voice_or_404(voice_id: str) -> tts.Voice:
    voice = tts.voice_get(voice_id)
    if voice is None:
        raise ApiError(f"There is no voice '{voice_id}'.", code="not_found", status_code=404)
    return voice


class VoiceListApi(APIView):
    @extend_schema(summary="Every voice: engine, language, sample rate, licence, and whether it can be used",
                   tags=["voices"], responses={200: VoicePageSerializer}, parameters=[
                       OpenApiParameter("language", str, description="only voices that speak this language (BCP 47)"),
                       OpenApiParameter("page", int), OpenApiParameter("pageSize", int)])
    def get(self, request: Request) -> Response:
        found = tts.voices()
        if language := request.query_params.get("language"):
            if not _LANGUAGE_RE.match(language):
                raise ApiError("language must be a BCP 47 tag such as en or pt-BR.", code="validation_error")
            found = tts.voice_candidates(language) + [v for v in found if not v.available
                                                          and tts.voice_matches(v, language)]
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(found, request, view=self)
        return paginator.get_paginated_response(VoiceSerializer(page, many=True).data)


class VoiceSampleApi(APIView):
    throttle_classes = [UserRateThrottle, ScopedRateThrottle]
    throttle_scope = "voice_samples"

    @extend_schema(summary="Speak a short sentence with a voice (WAV), to listen before choosing", tags=["voices"],
                   request=VoiceSampleInputSerializer,
                   responses={(200, "audio/wav"): OpenApiTypes.BINARY,
                              409: OpenApiResponse(description="The voice cannot be used (see its problem)"),
                              422: OpenApiResponse(description="The voice does not speak that language"),
                              429: OpenApiResponse(description="Too many samples; see Retry-After")})
    def post(self, request: Request, voice_id: str) -> HttpResponse:
        data = VoiceSampleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        body, voice = data.validated_data, _voice_or_404(voice_id)
        if not voice.available:
            raise ApiError(f"The voice {voice.id} cannot be used: {voice.problem}.", code="voice_unavailable",
                           status_code=409, details={"problem": voice.problem})
        language = body.get("language") or voice.language
        if not tts.voice_matches(voice, language):
            raise ApiError(f"The voice {voice.id} speaks {voice.language}, not {language}.", code="invalid_voice",
                           status_code=422)
        entries = []
        if "projectId" in body:
            project = core.project_get(user=request.user, project_id=body["projectId"])
            entries = selectors.lexicon_for(project=project, language=language)
        try:
            audio = tts.voice_sample(voice=voice, text=body["text"], rate=body["rate"], language=language,
                                     entries=entries)
        except tts.UnsupportedLanguage as exc:  # an uploaded voice whose stored files are gone or damaged
            raise ApiError(str(exc), code="voice_unavailable", status_code=409) from exc
        return HttpResponse(audio, content_type="audio/wav")


# --- a project's choices ---------------------------------------------------------------------------

class ProjectVoiceSerializer(serializers.Serializer):
    language = serializers.CharField()
    voice = serializers.CharField(allow_null=True, help_text="the project's choice; null = the best available voice")
    rate = serializers.FloatField()
    speaking = serializers.CharField(allow_null=True, help_text="the voice that narrates now (null: none can)")
    neural = serializers.BooleanField()
    fallback = serializers.CharField(allow_blank=True, help_text="why the chosen voice is not the one speaking")


class ProjectVoiceInputSerializer(StrictInputMixin, serializers.Serializer):
    voice = serializers.CharField(max_length=120, required=False, allow_null=True, allow_blank=True,
                                  help_text="a voice id from /api/v1/voices; null or empty = the best available one")
    rate = serializers.FloatField(min_value=0.5, max_value=2.0, required=False)


def _language(value: str) -> str:
    if not _LANGUAGE_RE.match(value):
        raise ApiError("The language must be a BCP 47 tag such as en or pt-BR.", code="validation_error",
                       details={"language": value})
    return value


def project_voice_summary(project, language: str) -> dict:
    choice = selectors.project_voice_get(project=project, language=language)
    try:
        narrator = tts.narrator_for(project=project, language=language)
    except tts.UnsupportedLanguage:
        narrator = None
    return {"language": language, "voice": (choice.voice or None) if choice else None,
            "rate": choice.rate if choice else 1.0, "speaking": narrator.voice.id if narrator else None,
            "neural": bool(narrator and narrator.voice.neural), "fallback": narrator.fallback if narrator else ""}


class ProjectVoicesSerializer(serializers.Serializer):
    languages = serializers.ListField(child=serializers.CharField(),
                                      help_text="the project's languages, in order (the first is the default)")
    voices = ProjectVoiceSerializer(many=True, help_text="the project's languages in order, then any other "
                                                        "language it narrates or has a choice for")


def project_voice_languages(project) -> list[str]:
    others = {*selectors.narrated_languages(project=project),
              *selectors.project_voice_list(project=project).values_list("language", flat=True)}
    return [*project.languages, *sorted(others - set(project.languages))]


class ProjectVoiceListApi(APIView):
    @extend_schema(summary="The project's languages, and the voice and rate of each language it has, narrates or "
                           "has a choice for", tags=["voices"], operation_id="projects_voices_list",
                   responses={200: ProjectVoicesSerializer})
    def get(self, request: Request, project_id: int) -> Response:
        project = core.project_get(user=request.user, project_id=project_id)
        voices = [project_voice_summary(project, language) for language in project_voice_languages(project)]
        return Response(ProjectVoicesSerializer({"languages": project.languages, "voices": voices}).data)


class ProjectVoiceDetailApi(APIView):
    @extend_schema(summary="The voice and rate of one language", tags=["voices"],
                   responses={200: ProjectVoiceSerializer})
    def get(self, request: Request, project_id: int, language: str) -> Response:
        project = core.project_get(user=request.user, project_id=project_id)
        return Response(project_voice_summary(project, _language(language)))

    @extend_schema(summary="Choose the voice and/or the speaking rate of one language", tags=["voices"],
                   request=ProjectVoiceInputSerializer, responses={
                       200: ProjectVoiceSerializer,
                       422: OpenApiResponse(description="Unknown or unusable voice, or not of this language")})
    def put(self, request: Request, project_id: int, language: str) -> Response:
        project = core.project_get(user=request.user, project_id=project_id)
        data = ProjectVoiceInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        body = data.validated_data
        voice = body.get("voice") or "" if "voice" in body else None
        services.project_voice_set(project=project, language=_language(language), voice=voice, rate=body.get("rate"))
        return Response(project_voice_summary(project, language))

    @extend_schema(summary="Go back to the best available voice at the normal rate", tags=["voices"],
                   responses={204: None})
    def delete(self, request: Request, project_id: int, language: str) -> Response:
        project = core.project_get(user=request.user, project_id=project_id)
        services.project_voice_reset(project=project, language=_language(language))
        return Response(status=status.HTTP_204_NO_CONTENT)


class LexiconEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = LexiconEntry
        fields = ["id", "language", "written", "spoken"]


class LexiconEntryPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = LexiconEntrySerializer(many=True)


class LexiconEntryCreateInputSerializer(StrictInputMixin, serializers.Serializer):
    language = serializers.RegexField(LANGUAGE, max_length=35, help_text="BCP 47; 'en' also applies to en-GB")
    written = serializers.CharField(max_length=100, help_text="matched as a whole word, case-sensitive")
    spoken = serializers.CharField(max_length=200)


class LexiconEntryUpdateInputSerializer(StrictInputMixin, serializers.Serializer):
    written = serializers.CharField(max_length=100, required=False)
    spoken = serializers.CharField(max_length=200, required=False)


class LexiconListApi(APIView):
    @extend_schema(summary="The project's pronunciation lexicon", tags=["voices"], operation_id="projects_lexicon_list",
                   parameters=[OpenApiParameter("language", str, description="only this language's entries"),
                               OpenApiParameter("page", int), OpenApiParameter("pageSize", int)],
                   responses={200: LexiconEntryPageSerializer})
    def get(self, request: Request, project_id: int) -> Response:
        project = core.project_get(user=request.user, project_id=project_id)
        language = request.query_params.get("language")
        entries = selectors.lexicon_list(project=project, language=_language(language) if language else None)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(entries.order_by("language", "written"), request, view=self)
        return paginator.get_paginated_response(LexiconEntrySerializer(page, many=True).data)

    @extend_schema(summary="Say a written form differently in one language (subtitles keep the written form)",
                   tags=["voices"], request=LexiconEntryCreateInputSerializer,
                   responses={201: LexiconEntrySerializer, 409: OpenApiResponse(description="Already in the lexicon")})
    def post(self, request: Request, project_id: int) -> Response:
        project = core.project_get(user=request.user, project_id=project_id)
        data = LexiconEntryCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.lexicon_entry_create(project=project, **data.validated_data)
        return Response(LexiconEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class LexiconDetailApi(APIView):
    def _entry(self, request: Request, project_id: int, entry_id: int) -> LexiconEntry:
        project = core.project_get(user=request.user, project_id=project_id)
        return get_object_or_404(LexiconEntry, pk=entry_id, project=project)

    @extend_schema(summary="One lexicon entry", tags=["voices"], responses={200: LexiconEntrySerializer})
    def get(self, request: Request, project_id: int, entry_id: int) -> Response:
        return Response(LexiconEntrySerializer(self._entry(request, project_id, entry_id)).data)

    @extend_schema(summary="Change a lexicon entry", tags=["voices"], request=LexiconEntryUpdateInputSerializer,
                   responses={200: LexiconEntrySerializer, 409: OpenApiResponse(description="Already in the lexicon")})
    def patch(self, request: Request, project_id: int, entry_id: int) -> Response:
        entry = self._entry(request, project_id, entry_id)
        data = LexiconEntryUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.lexicon_entry_update(entry=entry, **data.validated_data)
        return Response(LexiconEntrySerializer(entry).data)

    @extend_schema(summary="Remove a lexicon entry", tags=["voices"], responses={204: None})
    def delete(self, request: Request, project_id: int, entry_id: int) -> Response:
        services.lexicon_entry_delete(entry=self._entry(request, project_id, entry_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
