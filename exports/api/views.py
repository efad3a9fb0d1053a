"""Export and import API."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from assets.uploads import AssetUploadParser, HashingUploadHandler
from contentizer import selectors as core
from contentizer.api.errors import ApiError, Conflict
from contentizer.api.schema import media
from contentizer.api.throttling import ScopedRateThrottle
from contentizer.http.ranges import serve_stored
from contentizer.jobs import selectors as job_selectors
from contentizer.jobs.api.serializers import job_representation
from contentizer.jobs.models import Job, JobStatus
from exports import services
from exports.api.serializers import (
    ExportAcceptedSerializer,
    ExportCreateInputSerializer,
    ExportJobSerializer,
    ImportInputSerializer,
    ImportJobSerializer,
)


class ExportCreateApi(APIView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "exports"

    @extend_schema(summary="Export a tutorial as one zip", tags=["exports"], request=ExportCreateInputSerializer,
                   responses={202: ExportAcceptedSerializer, 422: OpenApiResponse(description="Missing components"),
                              429: OpenApiResponse(description="Too many exports; see Retry-After")})
    def post(self, request: Request) -> Response:
        data = ExportCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        body = data.validated_data
        project = core.project_get(user=request.user, project_id=body["projectId"])
        job = services.export_request(owner=request.user, project=project, chapter_ids=body.get("chapterIds"),
                                      include=services.Include(**body.get("include", {})))
        return Response(ExportAcceptedSerializer({"exportId": job.pk, "statusUrl": f"/api/export/{job.pk}"}).data,
                        status=status.HTTP_202_ACCEPTED)


class ExportStatusApi(APIView):
    @extend_schema(summary="An export's status, bytes written and a signed download URL: an alias of "
                   "/api/v1/jobs/{id} (the same body)", tags=["exports"], responses={200: ExportJobSerializer})
    def get(self, request: Request, export_id) -> Response:
        return Response(job_representation(job_selectors.job_get(user=request.user, job_id=export_id,
                                                                 kind=services.KIND)))


class ExportDownloadApi(APIView):
    # With a valid signature no login is needed (browsers, curl); without one, the owner's credentials are.
    permission_classes = [AllowAny]

    @extend_schema(summary="Download the zip (Range); ?signature= works without a token", tags=["exports"],
                   parameters=[OpenApiParameter("signature", str, required=False)],
                   responses={**media("application/zip", statuses=(200, 206),
                                         description="The zip; 206 for a Range request"),
                              403: OpenApiResponse(description="Bad signature"),
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


class ImportUploadHandler(HashingUploadHandler):
    """The import's upload: streamed to a temporary file like an asset's, up to IMPORT_MAX_UPLOAD_BYTES."""

    limit_name = "the largest import allowed"

    def max_bytes(self) -> int:
        return settings.IMPORT_MAX_UPLOAD_BYTES


class ImportApi(APIView):
    parser_classes = [AssetUploadParser]

    @extend_schema(summary="Import an exported zip as a new project of yours, in a job", tags=["exports"],
                   request={"multipart/form-data": ImportInputSerializer},
                   responses={202: ImportJobSerializer, 400: OpenApiResponse(description="No file sent"),
                              413: OpenApiResponse(description="Larger than IMPORT_MAX_UPLOAD_BYTES"),
                              429: OpenApiResponse(description="Too many imports waiting; see Retry-After")})
    def post(self, request: Request) -> Response:
        try:  # before the body is read, so it streams under the import's own limit
            request._request.upload_handlers = [ImportUploadHandler(request._request)]
        except AttributeError:  # a session's CSRF check read the body already, under the asset limit
            pass
        upload = request.FILES.get("file")
        if upload is None:
            raise ApiError("Send the zip in a multipart form field named 'file'.", code="missing_file")
        try:
            job = services.import_request(owner=request.user, upload=upload)
        finally:
            upload.close()
        return Response(job_representation(job), status=status.HTTP_202_ACCEPTED)
