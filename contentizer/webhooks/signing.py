"""Signing in the Standard Webhooks style (standardwebhooks.com), with its reference library.

Headers: `webhook-id` (the event id, the same on every try), `webhook-timestamp` (Unix seconds of
this try) and `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, keyed
with the secret's bytes (the base64 after `whsec_`). docs/webhooks.md shows a receiver's side.
"""

from __future__ import annotations

import base64
import logging
import secrets
from datetime import datetime

from standardwebhooks.webhooks import Webhook

logger = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
SECRET_BYTES = 32


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signed_headers(*, secret: str, event_id: str, body: str, at: datetime) -> dict[str, str]:
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(event_id, at, body),
        "Content-Type": "application/json",
        "User-Agent": "Contentizer-Webhooks/1",
    }
