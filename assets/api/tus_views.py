"""tus 1.0 at /api/uploads/ (core, creation, termination, expiration, checksum); see docs/uploads.md.

Errors use the one error format with the statuses tus names (409 for a wrong offset, 412 for a
missing Tus-Resumable, 415 for a wrong chunk Content-Type, 460 for a checksum mismatch); the last
PATCH answers with exactly what `POST /api/projects/{id}/assets` would have for the same file.
"""

from __future__ import annotations

import io
import logging

from django.http import HttpRequest, HttpResponse
from django.utils.http import http_date
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from assets import selectors, tus
from assets.models import Upload
from assets.uploads import max_upload_bytes
from contentizer import selectors as core
from contentizer.api.errors import ApiError, UnsupportedMediaType

logger = logging.getLogger(__name__)

CHUNK_TYPE = "application/offset+octet-stream"
_HEADER = OpenApiParameter.HEADER
_RESUMABLE = OpenApiParameter("Tus-Resumable", str, _HEADER, required=True, enum=[tus.VERSION],
                              description="The protocol version; every request but OPTIONS sends it.")
_ERRORS = {
    400: OpenApiResponse(description="Bad header or metadata"),
    404: OpenApiResponse(description="No such upload among yours"),
    410: OpenApiResponse(description="Expired"),
    412: OpenApiResponse(description="Tus-Resumable missing or not 1.0.0"),
    503: OpenApiResponse(description="Storage refused the write (read-only, full; `details.cause`); see Retry-After"),
}
# What the request that completes an upload may answer besides (the last PATCH, or a HEAD that
# finishes an upload whose finishing request died): what a direct upload of the same file gets.
_FINISHING = {
    409: OpenApiResponse(description="The upload's bytes are no longer on the server (`upload_lost`)"),
    413: OpenApiResponse(description="Over its kind's size limit"),
    415: OpenApiResponse(description="Not an accepted type of file"),
    422: OpenApiResponse(description="The file does not decode or breaks a limit"),
    423: OpenApiResponse(description="Another request is storing the complete file as an asset right now"),
}


def _number(request: Request, header: str, *, required: bool = True) -> int | None:
    raw = request.headers.get(header)
    if raw is None and not required:
        return None
    if raw is None or not raw.isdigit() or len(raw) > 18:
        raise ApiError(f"{header} must be a non-negative whole number of bytes.", code="invalid_header",
                       details={"header": header})
    return int(raw)


class _TusApi(APIView):
    """Shared by both routes: the version check, X-HTTP-Method-Override and the tus headers."""

    def dispatch(self, request: HttpRequest, *args, **kwargs):
        override = request.headers.get("X-HTTP-Method-Override", "")
        if request.method == "POST" and override.upper() in ("PATCH", "DELETE", "HEAD"):
            request.method = override.upper()
        return super().dispatch(request, *args, **kwargs)

    def get_permissions(self):
        # OPTIONS is how a client discovers the server before it has credentials
        return [AllowAny()] if self.request.method == "OPTIONS" else super().get_permissions()

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        if request.method != "OPTIONS" and request.headers.get("Tus-Resumable") != tus.VERSION:
            raise ApiError(f"Send Tus-Resumable: {tus.VERSION}; it is the only version this server speaks.",
                           code="unsupported_version", status_code=412)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Tus-Resumable"] = tus.VERSION
        if response.status_code == 412:
            response["Tus-Version"] = tus.VERSION
        if response.status_code == 460:
            response.reason_phrase = "Checksum Mismatch"
        return response

    def options(self, request: Request, *args, **kwargs) -> HttpResponse:
        response = HttpResponse(status=204)
        response["Tus-Version"] = tus.VERSION
        response["Tus-Extension"] = ",".join(tus.EXTENSIONS)
        response["Tus-Checksum-Algorithm"] = ",".join(tus.CHECKSUM_ALGORITHMS)
        response["Tus-Max-Size"] = str(max_upload_bytes())
        return response


def _state(upload: Upload, response: HttpResponse) -> HttpResponse:
    response["Upload-Offset"] = str(upload.offset)
    response["Upload-Length"] = str(upload.length)
    response["Upload-Expires"] = http_date(upload.expires_at.timestamp())
    response["Cache-Control"] = "no-store"
    if upload.asset_id:
        response["Contentizer-Asset-Id"] = str(upload.asset_id)
        response["Contentizer-Deduplicated"] = "true" if upload.deduplicated else "false"
    return response


class UploadCreateApi(_TusApi):
    """tus creation: a new upload of a known length into one of your projects."""

    @extend_schema(
        summary="Create a resumable upload (tus creation)", tags=["uploads"], request=None,
        parameters=[
            _RESUMABLE,
            OpenApiParameter("Upload-Length", int, _HEADER, required=True, description="The file's size in bytes."),
            OpenApiParameter("Upload-Metadata", str, _HEADER, required=True, description=(
                "Comma-separated `key base64(value)` pairs: `projectId` (required: the project the "
                "asset goes to) and `filename` (shown only; never a path).")),
        ],
        responses={201: OpenApiResponse(description="Created; `Location` is the upload's URL, `Upload-Expires` "
                                                    "when it is removed if unfinished"),
                   403: OpenApiResponse(description="It would go over your storage quota (`quota_exceeded`)"),
                   413: OpenApiResponse(description="Larger than the largest asset"),
                   429: OpenApiResponse(description="Too many unfinished uploads"), **_ERRORS},
    )
    def post(self, request: Request) -> HttpResponse:
        if request.headers.get("Upload-Defer-Length") is not None:
            raise ApiError("Upload-Defer-Length is not supported: send Upload-Length.", code="invalid_header",
                           details={"header": "Upload-Defer-Length"})
        length = _number(request, "Upload-Length")
        raw = request.headers.get("Upload-Metadata", "")
        metadata = tus.parse_metadata(raw)
        project_id = metadata.get("projectId", "")
        if not project_id.isdigit() or len(project_id) > 18:
            raise ApiError("Upload-Metadata must name the project: projectId.", code="validation_error",
                           details={"fields": {"projectId": ["A project id is required."]}})
        project = core.project_get(user=request.user, project_id=int(project_id))
        upload = tus.upload_create(owner=request.user, project=project, length=length, metadata=raw,
                                   filename=metadata.get("filename", ""))
        response = HttpResponse(status=status.HTTP_201_CREATED)
        response["Location"] = request.build_absolute_uri(f"/api/uploads/{upload.id}")
        response["Upload-Expires"] = http_date(upload.expires_at.timestamp())
        return response


class UploadDetailApi(_TusApi):
    """One upload: its offset (HEAD), its next chunk (PATCH), its cancellation (DELETE)."""

    def _upload(self, request: Request, upload_id) -> Upload:
        return selectors.upload_get(user=request.user, upload_id=upload_id)

    @extend_schema(summary="An upload's offset (tus core: where to resume)", tags=["uploads"],
                   parameters=[_RESUMABLE], responses={200: OpenApiResponse(
                       description="`Upload-Offset`, `Upload-Length`, `Upload-Expires`, `Upload-Metadata`; "
                                   "once complete, `Contentizer-Asset-Id` (a complete upload whose finishing "
                                   "request died is finished by this request)"), **_FINISHING, **_ERRORS})
    def head(self, request: Request, upload_id) -> HttpResponse:
        upload = tus.upload_state(upload=self._upload(request, upload_id))
        response = _state(upload, HttpResponse(status=200))
        if upload.metadata:
            response["Upload-Metadata"] = upload.metadata
        return response

    @extend_schema(
        summary="Send a chunk at the upload's offset (tus core)", tags=["uploads"],
        request={CHUNK_TYPE: OpenApiTypes.BINARY},
        parameters=[_RESUMABLE, OpenApiParameter("Upload-Offset", int, _HEADER, required=True),
                    OpenApiParameter("Upload-Checksum", str, _HEADER, description=(
                        "tus checksum extension: `<algorithm> <base64 digest>` of this chunk (sha1, sha256 or "
                        "sha512); a chunk that does not match is discarded with 460"))],
        responses={204: OpenApiResponse(description="Stored; `Upload-Offset` is the new offset. After the last "
                                                    "chunk the file is an asset: `Contentizer-Asset-Id`"),
                   **_FINISHING,
                   409: OpenApiResponse(description="Upload-Offset is not the upload's offset, or its bytes are gone"),
                   413: OpenApiResponse(description="Beyond the upload's length, or (last chunk) its kind's limit"),
                   415: OpenApiResponse(description="Not application/offset+octet-stream, or (last chunk) not an "
                                                    "accepted type of file"),
                   460: OpenApiResponse(description="The chunk does not match Upload-Checksum; it was discarded"),
                   **_ERRORS},
    )
    def patch(self, request: Request, upload_id) -> HttpResponse:
        upload = self._upload(request, upload_id)
        if request.content_type.split(";")[0].strip().lower() != CHUNK_TYPE:
            raise UnsupportedMediaType(f"Send chunks as {CHUNK_TYPE}.", details={"contentType": request.content_type})
        offset = _number(request, "Upload-Offset")
        length = _number(request, "Content-Length", required=False)
        checksum = request.headers.get("Upload-Checksum")
        # DRF gives no stream for an empty body; reading an empty one is then the same as none
        appended = tus.upload_append(upload=upload, offset=offset, body=request.stream or io.BytesIO(),
                                     content_length=length, checksum=tus.parse_checksum(checksum) if checksum else None)
        return _state(appended.upload, HttpResponse(status=204))

    @extend_schema(summary="Cancel an upload and remove its bytes (tus termination)", tags=["uploads"],
                   request=None, parameters=[_RESUMABLE], responses={204: None, **_ERRORS})
    def delete(self, request: Request, upload_id) -> Response:
        tus.upload_terminate(upload=self._upload(request, upload_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


