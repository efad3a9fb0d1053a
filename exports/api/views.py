"""Export and import API."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from assets.uploads import AssetUploadParser
from contentizer import selectors as core
from contentizer.api.errors import ApiError, Conflict
from contentizer.api.serializers_base import StrictInputMixin
from contentizer.api.throttling import ScopedRateThrottle
from contentizer.http.ranges import serve_stored
from contentizer.jobs.models import Job, JobStatus
from exports import importing, services

_BINARY = OpenApiResponse(OpenApiTypes.BINARY, description="the zip; 206 for a Range request")


class ExportIncludeInputSerializer(StrictInputMixin, serializers.Serializer):
    assets = serializers.BooleanField(required=False, default=True)
    subtitles = serializers.BooleanField(required=False, default=True)
    renders = serializers.BooleanField(required=False, default=False)


class ExportCreateInputSerializer(StrictInputMixin, serializers.Serializer):
    projectId = serializers.IntegerField()
    chapterIds = serializers.ListField(child=serializers.IntegerField(), required=False, allow_empty=False)
    include = ExportIncludeInputSerializer(required=False)


def export_status(job: Job) -> dict:
    result = job.result or {}
    ready = job.status == JobStatus.SUCCEEDED and bool(result.get("artifact"))
    return {
        "exportId": str(job.pk), "status": job.status, "progress": job.progress, "stage": job.stage,
        "bytesWritten": result.get("bytesWritten", 0), "size": result.get("size"), "errors":
        [job.error] if job.error else [], "expired": bool(result.get("expired")),
        "downloadUrl": f"/api/export/{job.pk}/download" if ready else None,
        "signedUrl": services.signed_download_url(job) if ready else None,
    }


class ExportCreateApi(APIView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "exports"

    @extend_schema(summary="Export a tutorial as one zip", tags=["exports"], request=ExportCreateInputSerializer,
                   responses={202: OpenApiTypes.OBJECT, 422: OpenApiResponse(description="Missing components"),
                              429: OpenApiResponse(description="Too many exports; see Retry-After")})
    def post(self, request: Request) -> Response:
        data = ExportCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        body = data.validated_data
        project = core.project_get(user=request.user, project_id=body["projectId"])
        job = services.export_request(owner=request.user, project=project, chapter_ids=body.get("chapterIds"),
                                      include=services.Include(**body.get("include", {})))
        return Response({"exportId": str(job.pk), "statusUrl": f"/api/export/{job.pk}"},
                        status=status.HTTP_202_ACCEPTED)


class ExportStatusApi(APIView):
    @extend_schema(summary="An export's status, progress, bytes written and a signed download URL",
                   tags=["exports"], responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, export_id) -> Response:
        job = get_object_or_404(Job, pk=export_id, owner=request.user, kind=services.KIND)
        return Response(export_status(job))


class ExportDownloadApi(APIView):
    # With a valid signature no login is needed (browsers, curl); without one, the owner's credentials are.
    permission_classes = [AllowAny]

    @extend_schema(summary="Download the zip (Range); ?signature= works without a token", tags=["exports"],
                   parameters=[OpenApiParameter("signature", str, required=False)],
                   responses={200: _BINARY, 206: _BINARY, 403: OpenApiResponse(description="Bad signature"),
                              409: OpenApiResponse(description="Not ready")})
    def get(self, request: Request, export_id) -> HttpResponse:
        signature = request.query_params.get("signature")
        if signature is not None:
            if not services.signature_valid(export_id, signature):
                raise ApiError("This download link is invalid or has expired.", code="bad_signature",
                               status_code=403)
            job = get_object_or_404(Job, pk=export_id, kind=services.KIND)
        elif not request.user.is_authenticated:
            raise ApiError("Authentication credentials were not provided.", code="not_authenticated",
                           status_code=401)
        else:
            job = get_object_or_404(Job, pk=export_id, owner=request.user, kind=services.KIND)
        result = job.result or {}
        if job.status != JobStatus.SUCCEEDED or not result.get("artifact"):
            raise Conflict(f"The export is not ready: it is {job.status}.", code="not_ready",
                           details={"status": job.status, "expired": bool(result.get("expired"))})
        return serve_stored(request, storage=default_storage, key=result["artifact"], content_type="application/zip",
                            filename=result["artifact"].rsplit("/", 1)[-1], attachment=True, size=result.get("size"))


class ImportInputSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A zip made by an export")


class ImportApi(APIView):
    parser_classes = [AssetUploadParser]

    @extend_schema(summary="Import an exported zip as a new project of yours", tags=["exports"],
                   request={"multipart/form-data": ImportInputSerializer},
                   responses={201: OpenApiTypes.OBJECT, 400: OpenApiResponse(description="Unsafe or broken zip"),
                              413: OpenApiResponse(description="Beyond the import limits"),
                              422: OpenApiResponse(description="Invalid container or checksums")})
    def post(self, request: Request) -> Response:
        upload = request.FILES.get("file")
        if upload is None:
            raise ApiError("Send the zip in a multipart form field named 'file'.", code="missing_file")
        try:
            project = importing.import_project(owner=request.user, zip_path=upload.temporary_file_path())
        finally:
            upload.close()
        return Response({"projectId": project.pk, "title": project.title,
                         "chapters": project.chapters.count()}, status=status.HTTP_201_CREATED)
