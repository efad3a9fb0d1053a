"""Video API (routes fixed by existing clients): generate, read, download, stream, HLS, job status, cancel."""

from __future__ import annotations

import re

from django.core.files.storage import default_storage
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from assets import selectors as asset_selectors
from contentizer import selectors as core
from contentizer.api.errors import ApiError, Conflict
from contentizer.api.schema import media
from contentizer.api.serializers_base import StrictInputMixin
from contentizer.http.ranges import serve_stored
from contentizer.jobs import selectors as job_selectors
from contentizer.jobs import services as jobs
from contentizer.jobs.api.serializers import job_representation
from contentizer.languages import LANGUAGE_CODE
from contentizer.media.compose import MUSIC_VOLUME
from previews import selectors
from previews.api.serializers import (
    ChapterVideoListSerializer,
    VideoDetailSerializer,
    VideoJobSerializer,
)
from previews.compile import ASPECTS, RESOLUTIONS, Format
from previews.models import Video
from previews.videos import services as videos

_MP4 = media("video/mp4", description="The MP4; 206 for a Range request", statuses=(200, 206))
# a language's tree is the root or a folder named by its code: master.m3u8, video/seg000.ts, de/master.m3u8,
# de/subs_en/subtitles.vtt
_HLS_NAME = re.compile(r"^([A-Za-z0-9-]+/)?(master\.m3u8|[A-Za-z0-9_-]+/[A-Za-z0-9_-]+\.(m3u8|ts|vtt))\Z")


class VideoMusicInputSerializer(StrictInputMixin, serializers.Serializer):
    asset = serializers.IntegerField()
    volume = serializers.FloatField(min_value=0, max_value=2, required=False, default=MUSIC_VOLUME)


class VideoGenerateInputSerializer(StrictInputMixin, serializers.Serializer):
    projectId = serializers.IntegerField()
    chapterId = serializers.IntegerField()
    resolution = serializers.ChoiceField(choices=list(RESOLUTIONS), required=False, default="720p",
                                         help_text="the short edge of the picture")
    aspect = serializers.ChoiceField(choices=list(ASPECTS), required=False, default="16:9",
                                     help_text="16:9 (landscape), 9:16 (portrait) or 1:1 (square)")
    languages = serializers.ListField(child=serializers.RegexField(rf"^{LANGUAGE_CODE.pattern}\Z"),
                                      required=False, allow_empty=False, max_length=20)
    missing = serializers.ChoiceField(
        choices=["refuse", "fallback"], required=False, default="refuse",
        help_text="What to do where a language lacks a caption or narration another language has "
                  "(GET /api/chapters/{id}/completeness lists them): `refuse` (422 incomplete_language naming "
                  "each step and text) or `fallback` (the first project language that has the text stands in, "
                  "with its voice; the video's steps mark it).")
    music = VideoMusicInputSerializer(required=False, allow_null=True)
    requestId = serializers.RegexField(r"^[A-Za-z0-9._:-]{1,64}\Z", required=False, allow_blank=True, default="")


class VideoGenerateAcceptedSerializer(serializers.Serializer):
    videoId = serializers.UUIDField()
    jobId = serializers.UUIDField()


def _video_get(request: Request, video_id) -> Video:
    return get_object_or_404(Video.objects.select_related("job"), pk=video_id, owner=request.user)


def _ready(video: Video) -> None:
    if not video.playable():
        raise Conflict(f"The video is not ready: its job is {video.job.status}.", code="not_ready",
                       details={"status": video.job.status, "progress": video.job.progress})


def video_summary(video: Video) -> dict:
    return VideoDetailSerializer({
        "videoId": str(video.id), "jobId": str(video.job_id), "projectId": video.project_id,
        "chapterId": video.chapter_id, "status": video.job.status, "progress": video.job.progress,
        "resolution": f"{video.height}p", "aspect": video.aspect, "languages": video.languages,
        "subtitleLanguages": video.languages,
        "duration": video.duration, "size": video.size, "renditions": video.renditions,
        "superseded": video.superseded_at is not None, "variant": selectors.variant_name(video),
        "createdAt": video.created_at,
        "urls": selectors.video_urls(video),
    }).data


class VideoGenerateApi(APIView):
    @extend_schema(summary="Generate a narrated, subtitled video of a chapter", tags=["videos"],
                   request=VideoGenerateInputSerializer, responses={202: VideoGenerateAcceptedSerializer,
                   403: OpenApiResponse(description="Storage quota used up")})
    def post(self, request: Request) -> Response:
        data = VideoGenerateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        body = data.validated_data
        project = core.project_get(user=request.user, project_id=body["projectId"])
        chapter = core.chapter_get(user=request.user, chapter_id=body["chapterId"])
        if chapter.project_id != project.pk:
            raise ApiError("That chapter belongs to another project.", code="not_found", status_code=404)
        video = videos.video_request(
            owner=request.user, project=project, chapter=chapter,
            fmt=Format(aspect=body["aspect"], resolution=RESOLUTIONS[body["resolution"]]),
            languages=body.get("languages"), music=body.get("music"), request_id=body["requestId"],
            missing=body["missing"],
        )
        return Response({"videoId": video.id, "jobId": video.job_id}, status=status.HTTP_202_ACCEPTED)


class VideoDetailApi(APIView):
    @extend_schema(summary="A video's metadata, status, renditions and subtitle languages", tags=["videos"],
                   responses={200: VideoDetailSerializer})
    def get(self, request: Request, video_id) -> Response:
        return Response(video_summary(_video_get(request, video_id)))


class ChapterVideoListApi(APIView):
    @extend_schema(summary="A chapter's current videos: one of each shape (16:9, 9:16, 1:1) and resolution",
                   tags=["videos"], responses={200: ChapterVideoListSerializer})
    def get(self, request: Request, chapter_id: int) -> Response:
        chapter = core.chapter_get(user=request.user, chapter_id=chapter_id)
        return Response({"videos": [{**video_summary(video), "upToDate": selectors.video_up_to_date(video)}
                                    for video in selectors.chapter_variants(chapter)]})


def _serve_ready(request: Request, video_id, *, key: str, content_type: str, attachment: bool = False):
    video = _video_get(request, video_id)
    _ready(video)
    return serve_stored(request, storage=default_storage, key=getattr(video, key), content_type=content_type)


def mp4_of(video: Video, language: str) -> dict:
    """The picture of `language` (the first language's when none is named); a 404 naming the
    video's languages for any other."""
    picture = video.picture(language)
    if picture is None:
        raise ApiError(f"The video has no picture in {language!r}.", code="not_found", status_code=404,
                       details={"languages": video.languages})
    return picture


def _serve_mp4(request: Request, video_id, *, attachment: bool = False) -> HttpResponse:
    video = _video_get(request, video_id)
    _ready(video)
    language = request.query_params.get("language", "")
    picture = mp4_of(video, language)
    title = video.heading or "video"
    filename = (f"{title}.{language}.mp4" if language else f"{title}.mp4") if attachment else None
    return serve_stored(request, storage=default_storage, key=picture["mp4Key"], content_type="video/mp4",
                        filename=filename, attachment=attachment, size=picture["size"])


_LANGUAGE = OpenApiParameter("language", str, required=False,
                             description="Whose picture (captions, timing, narration): one of the video's languages; "
                                         "the first when left out")


class VideoDownloadApi(APIView):
    @extend_schema(summary="Download one language's MP4 (attachment)", tags=["videos"], parameters=[_LANGUAGE],
                   responses={**_MP4, 404: OpenApiResponse(description="No such video or language")})
    def get(self, request: Request, video_id) -> HttpResponse:
        return _serve_mp4(request, video_id, attachment=True)


class VideoStreamApi(APIView):
    @extend_schema(summary="Stream one language's MP4 (HTTP Range)", tags=["videos"], parameters=[_LANGUAGE],
                   responses={**_MP4, 404: OpenApiResponse(description="No such video or language"),
                              416: OpenApiResponse(description="Range not satisfiable")})
    def get(self, request: Request, video_id) -> HttpResponse:
        return _serve_mp4(request, video_id)


class VideoPosterApi(APIView):
    @extend_schema(summary="The poster image (JPEG)", tags=["videos"],
                   responses=media("image/jpeg", description="JPEG"))
    def get(self, request: Request, video_id) -> HttpResponse:
        return _serve_ready(request, video_id, key="poster_key", content_type="image/jpeg")


HLS_TYPES = {"m3u8": "application/vnd.apple.mpegurl", "ts": "video/mp2t", "vtt": "text/vtt"}


def hls_key(video: Video, name: str) -> str | None:
    """The storage key of one file of a video's HLS tree, or None for any other name."""
    if not video.hls_prefix or not _HLS_NAME.match(name) or ".." in name:
        return None
    key = f"{video.hls_prefix}/{name}"
    return key if default_storage.exists(key) else None


class VideoHlsApi(APIView):
    @extend_schema(summary="HLS playlists, segments and WebVTT files", tags=["videos"],
                   responses=media(*HLS_TYPES.values(), description="A playlist, segment or WebVTT file"))
    def get(self, request: Request, video_id, name: str) -> HttpResponse:
        video = _video_get(request, video_id)
        _ready(video)
        if (key := hls_key(video, name)) is None:
            raise ApiError("Not found.", code="not_found", status_code=404)
        extension = name.rsplit(".", 1)[1]
        # playlists come from here (their relative references resolve against this server), and so
        # do the small WebVTT files (a <track> cannot follow a redirect to another origin);
        # segments may redirect to the storage
        return serve_stored(request, storage=default_storage, key=key, content_type=HLS_TYPES[extension],
                            redirect=extension == "ts")


SUBTITLE_TYPES = {"vtt": "text/vtt", "srt": "application/x-subrip"}


class VideoSubtitlesApi(APIView):
    @extend_schema(summary="A subtitle file of the video, named <language>.vtt or <language>.srt; "
                           "?download=1 as an attachment",
                   tags=["videos"], parameters=[OpenApiParameter("download", bool, required=False)],
                   responses={**media(*SUBTITLE_TYPES.values(), description="WebVTT or SubRip"),
                              404: OpenApiResponse(description="No subtitles in that language")})
    def get(self, request: Request, video_id, filename: str) -> HttpResponse:
        video = _video_get(request, video_id)
        _ready(video)
        language, _, fmt = filename.rpartition(".")
        if fmt not in SUBTITLE_TYPES or language not in video.languages:
            raise ApiError(f"The video has no subtitles in {language!r}.", code="not_found", status_code=404,
                           details={"languages": video.languages})
        title = video.heading or "video"
        return serve_stored(request, storage=default_storage, key=f"videos/{video.id}/subtitles/{language}.{fmt}",
                            content_type=SUBTITLE_TYPES[fmt], filename=f"{title}.{language}.{fmt}",
                            attachment=request.query_params.get("download") == "1",
                            redirect=False)  # small, and a <track> cannot follow a redirect to another origin


class VideoJobStatusApi(APIView):
    @extend_schema(summary="A video job's status, stages and timings: an alias of /api/v1/jobs/{id} (the same body)",
                   tags=["videos"], responses={200: VideoJobSerializer})
    def get(self, request: Request, job_id) -> Response:
        return Response(job_representation(job_selectors.job_get(user=request.user, job_id=job_id, kind=videos.KIND)))


class VideoJobCancelApi(APIView):
    @extend_schema(summary="Cancel a video job (the running FFmpeg stops within a heartbeat)", tags=["videos"],
                   request=None, responses={200: VideoJobSerializer})
    def post(self, request: Request, job_id) -> Response:
        job = job_selectors.job_get(user=request.user, job_id=job_id, kind=videos.KIND)
        return Response(job_representation(jobs.job_cancel(job=job)))


class MediaAssetApi(APIView):
    @extend_schema(summary="An asset's bytes (Range)", tags=["assets"],
                   responses=media("*/*", description="The asset's own type; 206 for a Range", statuses=(200, 206)))
    def get(self, request: Request, asset_id: int) -> HttpResponse:
        asset = asset_selectors.asset_get(user=request.user, asset_id=asset_id)
        return serve_stored(request, storage=default_storage, key=asset.blob.storage_key,
                            content_type=asset.blob.mime, filename=asset.original_name, size=asset.blob.size)
