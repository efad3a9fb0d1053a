"""Content-Security-Policy: what each page may load, run and be framed by.

Every response gets the site's policy unless its view chose another with `csp_override` (the
public share page allows only what its player needs). No page runs inline scripts or styles: the
templates load everything from /static/.

Media may come from the storage itself: on S3, media routes answer 302 to presigned URLs, so the
storage's origin joins the directives that fetch media (`<img>`, `<video>`, hls.js's requests).

Django 5.2 has no CSP support of its own (6.0 adds `SECURE_CSP` and `@csp_override`); these
policies keep its shape (directive → sources) so moving to it is mechanical.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse

from contentizer.http.ranges import presigned_url

logger = logging.getLogger(__name__)

SELF, NONE, BLOB, DATA = "'self'", "'none'", "blob:", "data:"
Policy = Mapping[str, tuple[str, ...]]

# Directives a redirect to the storage is fetched under: thumbnails and posters, <video>, and
# hls.js's requests for segments.
MEDIA_DIRECTIVES = ("img-src", "media-src", "connect-src")

# The studio, the job pages, the API docs and the admin: everything comes from this site.
SITE: Policy = {
    "default-src": (SELF,),
    "script-src": (SELF,),
    "style-src": (SELF,),
    "img-src": (SELF, DATA, BLOB),  # data: the empty favicon, the admin's and Swagger UI's icons
    "media-src": (SELF, BLOB),  # blob: hls.js plays through Media Source Extensions; voice samples
    "connect-src": (SELF,),
    "worker-src": (SELF, BLOB),  # hls.js demuxes in a worker made from a blob
    "font-src": (SELF,),
    "object-src": (NONE,),
    "base-uri": (SELF,),
    "form-action": (SELF,),
    "frame-ancestors": (NONE,),  # X_FRAME_OPTIONS=DENY says the same to older browsers
}

# Redoc (/api/redoc/) styles itself with <style> elements it writes at run time (styled-components).
API_REFERENCE: Policy = {**SITE, "style-src": (SELF, "'unsafe-inline'")}

# The public page of a share link: its player (hls.js and player.js from /static/, the video's
# files under the link) and nothing else: no forms, no other requests.
SHARE_PAGE: Policy = {
    "default-src": (NONE,),
    "script-src": (SELF,),
    "style-src": (SELF,),
    "img-src": (SELF, DATA),
    "media-src": (SELF, BLOB),
    "connect-src": (SELF,),
    "worker-src": (BLOB,),
    "base-uri": (NONE,),
    "form-action": (NONE,),
    "frame-ancestors": (NONE,),
}

# The embeddable player of a share link (`/s/<token>/embed`): the share page's policy, framed by any site.
# Only this page may be framed; every other page (the share page included) refuses it.
SHARE_EMBED: Policy = {**SHARE_PAGE, "frame-ancestors": ("*",)}


@functools.cache
def _storage_origin() -> str | None:
    """The origin presigned storage URLs point at (None when media is served from here)."""
    url = presigned_url(default_storage, "csp-origin", content_type="application/octet-stream", disposition=None)
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def media_origins() -> list[str]:
    """Other origins media may come from: the storage's, and any the operator names."""
    origin = _storage_origin()
    return [*([origin] if origin else []), *settings.CSP_MEDIA_ORIGINS]


def header_value(policy: Policy, *, media: list[str]) -> str:
    def sources(directive: str, values: tuple[str, ...]) -> tuple[str, ...]:
        return (*values, *media) if directive in MEDIA_DIRECTIVES and NONE not in values else values

    return "; ".join(f"{name} {' '.join(sources(name, values))}" for name, values in policy.items())


def csp_override(policy: Policy) -> Callable:
    """A view decorator: this view's responses carry `policy` instead of the site's."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            response = view(request, *args, **kwargs)
            response.csp_policy = policy
            return response

        return wrapped

    return decorate


class ContentSecurityPolicyMiddleware:
    """Sets the header on every response that has none; synchronous and asynchronous alike (a
    sync-only middleware would cost every request hops between the event loop and threads)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.is_async:
            return self._acall(request)
        return self._decorate(self.get_response(request))

    async def _acall(self, request: HttpRequest) -> HttpResponse:
        return self._decorate(await self.get_response(request))

    @staticmethod
    def _decorate(response: HttpResponse) -> HttpResponse:
        if "Content-Security-Policy" not in response:
            policy = getattr(response, "csp_policy", SITE)
            response["Content-Security-Policy"] = header_value(policy, media=media_origins())
        return response
