"""An ASGI guard in front of Django: a body declared larger than any accepted upload is
refused before a byte of it is read.

Django's ASGI handler reads the whole body (into a spooled temporary file) before any view or
upload handler runs, so the upload handler's Content-Length check would come too late under
an ASGI server. This wrapper answers 413 in the one error format at once, and stops reading a
body that runs past the limit without declaring its length.
"""

from __future__ import annotations

import json
import logging

from django.conf import settings

from contentizer.api.errors import error_body

logger = logging.getLogger(__name__)


class BodyLimit:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = settings.REQUEST_MAX_BYTES
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            return await self._refuse(send, limit)
        received = 0

        async def counted():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:  # Django then gives up on the request (RequestAborted)
                logger.warning("request body over the limit", extra={"event": "http.body_too_large"})
                return {"type": "http.disconnect"}
            return message

        return await self.app(scope, counted, send)

    @staticmethod
    async def _refuse(send, limit: int) -> None:
        body = json.dumps(error_body("payload_too_large", f"The request body is larger than the largest allowed "
                                     f"upload ({limit} bytes).", {"maxBytes": limit})).encode()
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})
