"""Share links of a video: create (1 hour to until revoked), list with their play counts, revoke. A link plays
the newest finished video of its chapter in the same shape and resolution."""

from __future__ import annotations

import logging

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contentizer.api.serializers_base import StrictInputMixin
from previews import selectors, shares
from previews.models import Share

logger = logging.getLogger(__name__)


class ShareCreateInputSerializer(StrictInputMixin, serializers.Serializer):
    expiresIn = serializers.ChoiceField(
        choices=[(name, label) for name, (label, _) in shares.LIFETIMES.items()], required=False,
        default=shares.DEFAULT_LIFETIME, help_text="How long the link works: 1h, 1d, 7d, 30d, or never (until "
                                                   "revoked).",
    )


class ShareSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    videoId = serializers.UUIDField()
    url = serializers.URLField(help_text="The public watch page; works logged out until it expires or is revoked. "
                                         "It plays the newest finished video of the chapter in this video's shape "
                                         "and resolution.")
    embedUrl = serializers.URLField(help_text="The player alone, for an <iframe> on another site.")
    createdAt = serializers.DateTimeField()
    expiresAt = serializers.DateTimeField(allow_null=True, help_text="null: works until revoked")
    revokedAt = serializers.DateTimeField(allow_null=True)
    active = serializers.BooleanField()
    playsStarted = serializers.IntegerField(help_text="Plays started through the link (counted by its player).")
    playsFinished = serializers.IntegerField(help_text="Plays watched to the end through the link.")


def share_summary(request: Request, share: Share) -> dict:
    path = shares.share_path(share)
    return {"id": share.id, "videoId": share.video_id, "url": request.build_absolute_uri(path),
            "embedUrl": request.build_absolute_uri(f"{path}embed"),
            "createdAt": share.created_at, "expiresAt": share.expires_at, "revokedAt": share.revoked_at,
            "active": shares.share_active(share), "playsStarted": share.plays_started,
            "playsFinished": share.plays_finished}


class VideoSharesApi(GenericAPIView):
    serializer_class = ShareSerializer

    @extend_schema(summary="Share a finished video with a link that works logged out", tags=["videos"],
                   request=ShareCreateInputSerializer,
                   responses={201: ShareSerializer, 409: OpenApiResponse(description="The video is not finished")})
    def post(self, request: Request, video_id) -> Response:
        video = selectors.video_get(user=request.user, video_id=video_id)
        data = ShareCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        share = shares.share_create(video=video, lifetime=data.validated_data["expiresIn"])
        return Response(ShareSerializer(share_summary(request, share)).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="A video's share links, newest first (revoked and expired ones too)", tags=["videos"],
                   responses={200: ShareSerializer(many=True)})
    def get(self, request: Request, video_id) -> Response:
        video = selectors.video_get(user=request.user, video_id=video_id)
        page = self.paginate_queryset(Share.objects.filter(video=video).order_by("-created_at"))
        return self.get_paginated_response([ShareSerializer(share_summary(request, s)).data for s in page])


class VideoShareDetailApi(APIView):
    @extend_schema(summary="Revoke a share link: it stops working at once", tags=["videos"],
                   responses={204: None, 404: OpenApiResponse(description="No such share of your video")})
    def delete(self, request: Request, video_id, share_id) -> Response:
        video = selectors.video_get(user=request.user, video_id=video_id)
        shares.share_revoke(share=get_object_or_404(Share, pk=share_id, video=video))
        return Response(status=status.HTTP_204_NO_CONTENT)
