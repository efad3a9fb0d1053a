"""What an author is told about a job that went wrong.

A job's `error` is written for operators: it may end with the tail of FFmpeg's stderr or name a
file on the worker. Everything an author or a client program reads (the pages, the job resource of
the API, its Server-Sent Events and webhook events) shows `public_error`: one sentence without
either. The full text stays in the admin and in the operators' log section of the job page.
"""

from __future__ import annotations

import logging
import re

logger = logging.getLogger(__name__)

MAX_CHARS = 300
# Absolute paths (two or more components), e.g. /srv/data/work/12/in.png
_PATH = re.compile(r"(?<![\w.])/(?:[^\s/'\"():,]+/)+[^\s/'\"():,]*")
# A quoted absolute path, spaces and all, as OSError words it: '/srv/my data/x.png'
_QUOTED_PATH = re.compile(r"""(['"])/[^'"\n]*\1""")
ON_SERVER = "(a file on the server)"
INTERNAL = "Something went wrong on our side; it was logged for the operators. Try again, or ask them."


def public_error(error: str) -> str:
    first = next((line.strip() for line in (error or "").splitlines() if line.strip()), "")
    if not first:
        return ""
    if first.startswith("Internal error"):
        return INTERNAL
    first = _PATH.sub(ON_SERVER, _QUOTED_PATH.sub(rf"\1{ON_SERVER}\1", first))
    return first if len(first) <= MAX_CHARS else first[: MAX_CHARS - 1].rstrip() + "…"
