"""Webhook receivers for tests: real HTTP(S) servers on 127.0.0.1 that record what they get, and a
signature check written from the Standard Webhooks description, not with the product's code."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int = 200
    body: bytes = b"ok"
    delay: float = 0.0  # seconds before answering
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        return json.loads(self.body)


class Receiver:
    """Answers each POST with the next scripted Reply (200 "ok" once the script is used up)."""

    def __init__(self, *replies: Reply, tls: ssl.SSLContext | None = None) -> None:
        self.script = list(replies)
        self.received: list[Received] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.received.append(Received(
                        path=self.path, headers={k.lower(): v for k, v in self.headers.items()}, body=body))
                    reply = receiver.script.pop(0) if receiver.script else Reply()
                time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender gave up waiting, as it should

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.scheme = "https" if tls else "http"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, host: str = "127.0.0.1", path: str = "/hooks/contentizer?source=test") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def signature_valid(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """HMAC-SHA256 over "{webhook-id}.{webhook-timestamp}.{body}" with the secret's bytes (the base64
    after "whsec_"), base64-encoded, against each "v1,<signature>" in the header."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(version == "v1" and hmac.compare_digest(value, expected)
               for version, _, value in (part.partition(",") for part in headers["webhook-signature"].split()))
