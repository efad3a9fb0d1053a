"""The tus operations drf-spectacular leaves out (it never documents HEAD and OPTIONS)."""

from __future__ import annotations

import logging
from typing import Any

from assets import tus

logger = logging.getLogger(__name__)

_RESUMABLE = {"name": "Tus-Resumable", "in": "header", "required": True,
              "schema": {"type": "string", "enum": [tus.VERSION]}}


def add_tus_operations(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    paths = result.get("paths", {})
    if (create := paths.get("/api/uploads")) is not None:
        create["options"] = {
            "operationId": "uploads_options", "tags": ["uploads"], "security": [{}],
            "summary": "What this tus server supports (no credentials needed)",
            "responses": {"204": {"description": "`Tus-Version: 1.0.0`, `Tus-Extension: "
                                                 f"{','.join(tus.EXTENSIONS)}`, `Tus-Checksum-Algorithm: "
                                                 f"{','.join(tus.CHECKSUM_ALGORITHMS)}`, `Tus-Max-Size`"}},
        }
    if (detail := paths.get("/api/uploads/{upload_id}")) is not None:
        detail["head"] = {
            "operationId": "uploads_head", "tags": ["uploads"],
            "summary": "An upload's offset (tus core: where to resume)",
            "parameters": [{"name": "upload_id", "in": "path", "required": True,
                            "schema": {"type": "string", "format": "uuid"}}, _RESUMABLE],
            "responses": {
                "200": {"description": "`Upload-Offset`, `Upload-Length`, `Upload-Expires`, `Upload-Metadata`; once "
                                       "complete, `Contentizer-Asset-Id` and `Contentizer-Deduplicated`. An upload "
                                       "whose bytes are all in but whose finishing request died is finished now"},
                "404": {"description": "No such upload among yours"}, "410": {"description": "Expired"},
                "409": {"description": "The upload's bytes are no longer on the server (`upload_lost`)"},
                "413": {"description": "(finishing) Over its kind's size limit"},
                "415": {"description": "(finishing) Not an accepted type of file"},
                "422": {"description": "(finishing) The file does not decode or breaks a limit"},
                "423": {"description": "Another request is storing the complete file as an asset right now"},
                "503": {"description": "Storage refused the write (read-only, full); see Retry-After"},
            },
        }
    return result
