"""API handlers for projects, chapters and steps: validate, call a service or selector, serialize."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contentizer import selectors, services
from contentizer.api.errors import ApiError
from contentizer.api.serializers import (
    ChapterCompletenessSerializer,
    ChapterSerializer,
    ProjectSerializer,
    ReorderInputSerializer,
    StepSerializer,
)
from contentizer.languages import language_name


@extend_schema_view(
    get=extend_schema(summary="List your projects", tags=["projects"]),
    post=extend_schema(summary="Create a project", tags=["projects"]),
)
class ProjectListApi(generics.ListCreateAPIView):
    serializer_class = ProjectSerializer

    def get_queryset(self):
        return selectors.project_list(user=self.request.user)

    def perform_create(self, serializer: ProjectSerializer) -> None:
        serializer.instance = services.project_create(owner=self.request.user, **serializer.validated_data)


class _DetailApi(generics.RetrieveUpdateDestroyAPIView):
    http_method_names = ["get", "patch", "put", "delete", "head", "options"]

    def perform_update(self, serializer) -> None:
        serializer.instance = services.object_update(obj=serializer.instance, **serializer.validated_data)


@extend_schema_view(
    get=extend_schema(summary="Read a project", tags=["projects"]),
    put=extend_schema(summary="Replace a project's fields", tags=["projects"]),
    patch=extend_schema(summary="Update a project", tags=["projects"]),
    delete=extend_schema(summary="Delete a project with its chapters, steps, asset links and videos",
                         tags=["projects"]),
)
class ProjectDetailApi(_DetailApi):
    serializer_class = ProjectSerializer

    def get_object(self):
        return selectors.project_get(user=self.request.user, project_id=self.kwargs["project_id"])

    def perform_destroy(self, instance) -> None:
        services.project_delete(project=instance)


@extend_schema_view(
    get=extend_schema(summary="List a project's chapters in order", tags=["chapters"]),
    post=extend_schema(summary="Add a chapter at the end of a project", tags=["chapters"]),
)
class ChapterListApi(generics.ListCreateAPIView):
    serializer_class = ChapterSerializer

    def project(self):
        if not hasattr(self, "_project"):
            self._project = selectors.project_get(user=self.request.user, project_id=self.kwargs["project_id"])
        return self._project

    def get_queryset(self):
        return selectors.chapter_list(project=self.project())

    def create(self, request, *args, **kwargs):
        self.project()  # another user's project is a 404 before the body is even validated
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: ChapterSerializer) -> None:
        serializer.instance = services.chapter_create(project=self.project(), **serializer.validated_data)


@extend_schema_view(
    get=extend_schema(summary="Read a chapter", tags=["chapters"]),
    put=extend_schema(summary="Replace a chapter's fields", tags=["chapters"]),
    patch=extend_schema(summary="Update a chapter", tags=["chapters"]),
    delete=extend_schema(summary="Delete a chapter and its steps", tags=["chapters"]),
)
class ChapterDetailApi(_DetailApi):
    serializer_class = ChapterSerializer

    def get_object(self):
        return selectors.chapter_get(user=self.request.user, chapter_id=self.kwargs["chapter_id"])

    def perform_destroy(self, instance) -> None:
        services.chapter_delete(chapter=instance)


class ChapterCompletenessApi(APIView):
    @extend_schema(
        summary="What each language of a chapter lacks", tags=["chapters"],
        description="Per project language, every step whose caption or narration is empty while another "
                    "language has one. A video in a language with gaps is refused (422 incomplete_language) "
                    'unless the request says `"missing": "fallback"`.',
        responses={200: ChapterCompletenessSerializer},
    )
    def get(self, request: Request, chapter_id: int) -> Response:
        chapter = selectors.chapter_get(user=request.user, chapter_id=chapter_id)
        gaps = selectors.chapter_gaps(chapter)
        return Response(ChapterCompletenessSerializer({"chapter": chapter.pk, "languages": [
            {"language": lang, "name": language_name(lang), "complete": not missing, "missing": missing}
            for lang, missing in gaps.items()]}).data)


@extend_schema_view(
    get=extend_schema(summary="List a chapter's steps in order", tags=["steps"]),
    post=extend_schema(summary="Add a step at the end of a chapter, or after one of its steps", tags=["steps"],
                       parameters=[OpenApiParameter(
                           "after", int, required=False,
                           description="the id of a step of this chapter: the new step goes right after it")]),
)
class StepListApi(generics.ListCreateAPIView):
    serializer_class = StepSerializer

    def chapter(self):
        if not hasattr(self, "_chapter"):
            self._chapter = selectors.chapter_get(user=self.request.user, chapter_id=self.kwargs["chapter_id"])
        return self._chapter

    def get_queryset(self):
        return selectors.step_list(chapter=self.chapter())

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "project": self.chapter().project}

    def create(self, request: Request, *args, **kwargs) -> Response:
        after = request.query_params.get("after")
        if after is not None:
            if not after.isdigit():
                raise ApiError("after must be the id of a step of this chapter.", code="validation_error",
                               status_code=400, details={"fields": {"after": ["must be a step id"]}})
            self._after = selectors.step_get(user=request.user, step_id=int(after))
            if self._after.chapter_id != self.chapter().pk:
                raise ApiError("after must be the id of a step of this chapter.", code="validation_error",
                               status_code=400, details={"fields": {"after": ["is a step of another chapter"]}})
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: StepSerializer) -> None:
        fields = {k: v for k, v in serializer.validated_data.items() if k != "approve"}  # nothing to approve yet
        serializer.instance = services.step_create(chapter=self.chapter(), after=getattr(self, "_after", None),
                                                   **fields)


class StepDuplicateApi(APIView):
    @extend_schema(summary="Duplicate a step: a copy of every field, right after it", tags=["steps"],
                   request=None, responses={201: StepSerializer})
    def post(self, request: Request, step_id: int) -> Response:
        step = selectors.step_get(user=request.user, step_id=step_id)
        copy = services.step_duplicate(step=step)
        return Response(StepSerializer(copy, context={"request": request, "project": step.chapter.project}).data,
                        status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(summary="Read a step", tags=["steps"]),
    put=extend_schema(summary="Replace a step's fields", tags=["steps"]),
    patch=extend_schema(summary="Update a step", tags=["steps"]),
    delete=extend_schema(summary="Delete a step", tags=["steps"]),
)
class StepDetailApi(_DetailApi):
    serializer_class = StepSerializer

    def perform_update(self, serializer) -> None:
        serializer.instance = services.step_update(step=serializer.instance, **serializer.validated_data)

    def get_object(self):
        if not hasattr(self, "_step"):
            self._step = selectors.step_get(user=self.request.user, step_id=self.kwargs["step_id"])
        return self._step

    def get_serializer_context(self) -> dict:
        if getattr(self, "swagger_fake_view", False):
            return super().get_serializer_context()
        return {**super().get_serializer_context(), "project": self.get_object().chapter.project}

    def perform_destroy(self, instance) -> None:
        services.step_delete(step=instance)


class _ReorderApi(APIView):
    def reorder(self, request: Request, siblings) -> Response:
        data = ReorderInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.reorder(siblings=siblings, order=data.validated_data["order"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChapterReorderApi(_ReorderApi):
    @extend_schema(
        summary="Reorder a project's chapters", tags=["chapters"],
        request=ReorderInputSerializer, responses={204: None},
    )
    def post(self, request: Request, project_id: int) -> Response:
        project = selectors.project_get(user=request.user, project_id=project_id)
        return self.reorder(request, selectors.chapter_list(project=project))


class StepReorderApi(_ReorderApi):
    @extend_schema(
        summary="Reorder a chapter's steps", tags=["steps"],
        request=ReorderInputSerializer, responses={204: None},
    )
    def post(self, request: Request, chapter_id: int) -> Response:
        chapter = selectors.chapter_get(user=request.user, chapter_id=chapter_id)
        return self.reorder(request, selectors.step_list(chapter=chapter))
