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
                                                 f"{','.join(tus.EXTENSIONS)}`, `Tus-Max-Size`"}},
        }
    if (detail := paths.get("/api/uploads/{upload_id}")) is not None:
        detail["head"] = {
            "operationId": "uploads_head", "tags": ["uploads"],
            "summary": "An upload's offset (tus core: where to resume)",
            "parameters": [{"name": "upload_id", "in": "path", "required": True,
                            "schema": {"type": "string", "format": "uuid"}}, _RESUMABLE],
            "responses": {
                "200": {"description": "`Upload-Offset`, `Upload-Length`, `Upload-Expires`, `Upload-Metadata`; once "
                                       "complete, `Contentizer-Asset-Id` and `Contentizer-Deduplicated`"},
                "404": {"description": "No such upload among yours"}, "410": {"description": "Expired"},
            },
        }
    return result
