"""API handlers of the asset store."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from assets import selectors, services
from assets.api.serializers import (
    AssetListQuerySerializer,
    AssetSerializer,
    AssetUploadInputSerializer,
    AssetUploadResultSerializer,
)
from assets.uploads import AssetUploadParser
from contentizer import selectors as core_selectors
from contentizer.api.errors import ApiError
from contentizer.api.schema import media
from contentizer.http.ranges import serve_stored

_ERRORS = {
    400: OpenApiResponse(description="Bad request"),
    404: OpenApiResponse(description="No such asset among yours"),
}


class ProjectAssetsApi(GenericAPIView):
    parser_classes = [AssetUploadParser]
    serializer_class = AssetSerializer

    @extend_schema(
        summary="List a project's assets", tags=["assets"],
        parameters=[AssetListQuerySerializer], responses={200: AssetSerializer(many=True)},
    )
    def get(self, request: Request, project_id: int) -> Response:
        project = core_selectors.project_get(user=request.user, project_id=project_id)
        query = AssetListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = self.paginate_queryset(selectors.asset_list(project=project, **query.validated_data))
        return self.get_paginated_response(AssetSerializer(page, many=True).data)

    @extend_schema(
        summary="Upload an asset (multipart field 'file')", tags=["assets"],
        request={"multipart/form-data": AssetUploadInputSerializer},
        responses={
            201: AssetUploadResultSerializer, 200: AssetUploadResultSerializer,
            413: OpenApiResponse(description="Too large for its kind"),
            415: OpenApiResponse(description="Not an accepted type; names the detected type"),
            422: OpenApiResponse(description="An accepted type that does not decode or breaks a limit"),
        },
    )
    def post(self, request: Request, project_id: int) -> Response:
        project = core_selectors.project_get(user=request.user, project_id=project_id)
        upload = request.FILES.get("file")
        problems = {name: ["Unknown field."] for name in sorted(set(request.data) - {"file"})}
        if upload is None:  # every problem of the request at once, each under its field
            missing = "Send the file in a multipart form field named 'file'."
            raise ApiError(missing, code="missing_file", details={"fields": {**problems, "file": [missing]}})
        if problems:
            raise ApiError("Unknown form fields.", code="validation_error", details={"fields": problems})
        result = services.asset_ingest(project=project, upload=upload)
        result.asset.deduplicated = result.deduplicated
        return Response(
            AssetUploadResultSerializer(result.asset).data,
            status=status.HTTP_200_OK if result.deduplicated else status.HTTP_201_CREATED,
        )


class ProjectAssetDetailApi(APIView):
    @extend_schema(
        summary="Unlink an asset from a project", tags=["assets"],
        responses={204: None, 404: _ERRORS[404], 409: OpenApiResponse(description="Steps use it")},
    )
    def delete(self, request: Request, project_id: int, asset_id: int) -> Response:
        asset = selectors.asset_get(user=request.user, asset_id=asset_id)
        if asset.project_id != int(project_id):
            raise ApiError("Not found.", code="not_found", status_code=404)
        services.asset_unlink(asset=asset)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AssetDetailApi(APIView):
    @extend_schema(
        summary="Read an asset's metadata", tags=["assets"], responses={200: AssetSerializer, 404: _ERRORS[404]}
    )
    def get(self, request: Request, asset_id: int) -> Response:
        return Response(AssetSerializer(selectors.asset_get(user=request.user, asset_id=asset_id)).data)


class AssetContentApi(APIView):
    @extend_schema(
        summary="Download an asset's bytes (honours Range)", tags=["assets"],
        responses={
            **media("*/*", description="The bytes, as the asset's own type (206 for a Range request).",
                    statuses=(200, 206)),
            404: _ERRORS[404],
            416: OpenApiResponse(description="Range not satisfiable"),
        },
    )
    def get(self, request: Request, asset_id: int) -> HttpResponse:
        asset = selectors.asset_get(user=request.user, asset_id=asset_id)
        return serve_stored(
            request, storage=default_storage, key=asset.blob.storage_key,
            content_type=asset.blob.mime, filename=asset.original_name, size=asset.blob.size,
        )


class AssetThumbnailApi(APIView):
    @extend_schema(
        summary="An image's thumbnail or a video's poster (WebP, at most 320 px)", tags=["assets"],
        responses={**media("image/webp", description="The thumbnail."), 404: _ERRORS[404]},
    )
    def get(self, request: Request, asset_id: int) -> HttpResponse:
        asset = selectors.asset_get(user=request.user, asset_id=asset_id)
        if not asset.blob.thumbnail_key:
            raise ApiError(
                f"{asset.blob.kind.capitalize()} assets have no thumbnail.",
                code="no_thumbnail", status_code=404,
            )
        response = serve_stored(
            request, storage=default_storage, key=asset.blob.thumbnail_key, content_type="image/webp"
        )
        if response.status_code == 200:  # not a redirect to a URL that expires
            response["Cache-Control"] = "private, max-age=86400, immutable"
        return response
