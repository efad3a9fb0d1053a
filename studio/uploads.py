"""Pages that take a file in a plain HTML form (the no-JavaScript path; scripts use tus).

Django parses a multipart body the first time anything reads `request.POST`, and the CSRF
middleware does that before the view runs. A refused upload (too large, too many files, a bad
body) would then escape as an exception from the middleware: a 500. These views parse the body
themselves, inside the view, turn a refusal into a clear 4xx page, and only then check CSRF
(with Django's own middleware), so nothing is done for a forged request.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt

from contentizer.api.errors import http_status
from contentizer.errors import ApplicationError

logger = logging.getLogger(__name__)


def _csrf_rejection(request: HttpRequest) -> HttpResponse | None:
    return CsrfViewMiddleware(lambda r: HttpResponse()).process_view(request, None, (), {})


def accepts_file(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @csrf_exempt
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method == "POST":
            try:
                request.POST, request.FILES  # noqa: B018 - parse now, inside the view
            except ApplicationError as exc:
                return _refused(request, exc.message, http_status(exc))
            except (MultiPartParserError, SuspiciousOperation):
                return _refused(request, "The form could not be read. Send one file at a time, within the size "
                                         "limits.", 400)
            if (rejection := _csrf_rejection(request)) is not None:
                return rejection
        return view(request, *args, **kwargs)

    return wrapper


def _refused(request: HttpRequest, message: str, status: int) -> HttpResponse:
    for handler in getattr(request, "_upload_handlers", None) or []:  # a parse cut short keeps its file open
        if (file := getattr(handler, "file", None)) is not None:
            file.close()
    back = request.META.get("HTTP_REFERER", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    return render(request, "studio/upload_refused.html", {"message": message, "back": back}, status=status)
