"""The media of a shared video, served only under its share link (`/s/<token>/…`), logged out.

The HLS playlists use relative URIs, so they resolve under this prefix; each request checks the
share again (previews/shares.py), so a revoked or expired link stops at once, mid-playback too.
"""

from __future__ import annotations

import logging

from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from contentizer.http.ranges import serve_stored
from previews.api.video_views import HLS_TYPES, hls_key
from previews.shares import share_resolve

logger = logging.getLogger(__name__)


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"  # a revoked link must not keep working from a cache
    response["X-Robots-Tag"] = "noindex"
    return response


@require_GET
def shared_hls(request: HttpRequest, token: str, name: str) -> HttpResponse:
    video = share_resolve(token).video
    key = hls_key(video, name)
    if key is None:
        raise Http404("no such HLS file")
    extension = name.rsplit(".", 1)[1]
    # playlists come from here, so their relative references stay under the link, and so do the
    # small WebVTT files (a <track> cannot follow a redirect to another origin); segments may
    # redirect to a short-lived presigned storage URL
    return _private(serve_stored(request, storage=default_storage, key=key, content_type=HLS_TYPES[extension],
                                 redirect=extension == "ts"))


@require_GET
def shared_poster(request: HttpRequest, token: str) -> HttpResponse:
    video = share_resolve(token).video
    return _private(serve_stored(request, storage=default_storage, key=video.poster_key, content_type="image/jpeg"))


@require_GET
def shared_mp4(request: HttpRequest, token: str) -> HttpResponse:
    """One language's MP4 (`?language=`; the first language's without it)."""
    video = share_resolve(token).video
    picture = video.picture(request.GET.get("language", ""))
    if picture is None:
        raise Http404("no picture in that language")
    return _private(serve_stored(request, storage=default_storage, key=picture["mp4Key"], content_type="video/mp4",
                                 size=picture["size"]))


@require_GET
def shared_subtitles(request: HttpRequest, token: str, filename: str) -> HttpResponse:
    video = share_resolve(token).video
    language, _, fmt = filename.rpartition(".")
    if fmt != "vtt" or language not in video.languages:
        raise Http404("no subtitles in that language")
    return _private(serve_stored(request, storage=default_storage, key=f"videos/{video.id}/subtitles/{language}.vtt",
                                 content_type="text/vtt", redirect=False))
