"""The media of a shared video, served only under its share link (`/s/<token>/…`), logged out.

The HLS playlists use relative URIs, so they resolve under this prefix; each request checks the
share again (previews/shares.py), so a revoked or expired link stops at once, mid-playback too.
"""

from __future__ import annotations

import json
import logging

from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from contentizer.http.ranges import serve_stored
from previews.api.video_views import HLS_TYPES, hls_key
from previews.shares import share_count_play, share_resolve

logger = logging.getLogger(__name__)


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"  # a revoked link must not keep working from a cache
    response["X-Robots-Tag"] = "noindex"
    return response


@require_GET
def shared_hls(request: HttpRequest, token: str, name: str) -> HttpResponse:
    video = share_resolve(token).playing
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
    video = share_resolve(token).playing
    return _private(serve_stored(request, storage=default_storage, key=video.poster_key, content_type="image/jpeg"))


@require_GET
def shared_mp4(request: HttpRequest, token: str) -> HttpResponse:
    """One language's MP4 (`?language=`; the first language's without it)."""
    video = share_resolve(token).playing
    picture = video.picture(request.GET.get("language", ""))
    if picture is None:
        raise Http404("no picture in that language")
    return _private(serve_stored(request, storage=default_storage, key=picture["mp4Key"], content_type="video/mp4",
                                 size=picture["size"]))


@csrf_exempt  # logged out, no cookie to ride on; the signed link is the key
@require_POST
def shared_play(request: HttpRequest, token: str) -> HttpResponse:
    """The share page's player reports a play `started` or `finished` (form field or JSON `event`)."""
    share = share_resolve(token)
    event = request.POST.get("event", "")
    if not event and request.content_type == "application/json":
        try:
            event = str(json.loads(request.body or b"{}").get("event", ""))
        except (ValueError, AttributeError):
            event = ""
    if event not in ("started", "finished"):
        return _private(HttpResponse("event must be started or finished", status=400, content_type="text/plain"))
    share_count_play(share, event)
    return _private(HttpResponse(status=204))


@require_GET
def shared_subtitles(request: HttpRequest, token: str, filename: str) -> HttpResponse:
    video = share_resolve(token).playing
    language, _, fmt = filename.rpartition(".")
    if fmt != "vtt" or language not in video.languages:
        raise Http404("no subtitles in that language")
    return _private(serve_stored(request, storage=default_storage, key=f"videos/{video.id}/subtitles/{language}.vtt",
                                 content_type="text/vtt", redirect=False))
