"""The one way webhooks make requests: a POST to a checked URL, on the address that was checked.

The host is resolved once and every address checked (`addresses.py`); the connection goes to
the checked address itself, with the URL's host name only in the Host header and, for https, in
TLS (SNI and certificate verification): no second lookup can send the request elsewhere (DNS
rebinding). Redirects are not followed. Connecting has its own short timeout; the whole exchange
has another, enforced by a watchdog that shuts the socket however slowly the receiver drips; at
most a small excerpt of the answer is read.
"""

from __future__ import annotations

import http.client
import logging
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection

from contentizer.webhooks import addresses

logger = logging.getLogger(__name__)

DEFAULT_PORTS = {"http": 80, "https": 443}


class UrlRefused(Exception):
    """The URL may not be used for webhooks; the message says why."""


class DeliveryFailed(Exception):
    """No answer from the receiver (name not resolving, connection refused, TLS, timeout)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # lower case, IPv6 without brackets
    port: int
    path: str  # path and query, what the request line carries
    host_header: str


@dataclass(frozen=True)
class Answer:
    status: int
    excerpt: str
    duration: float
    location: str = ""


def check_url(url: str, *, allow_private: bool) -> Target:
    """The URL's parts if webhooks may use it; refused without any DNS lookup otherwise."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UrlRefused(f"The URL is not valid: {exc}.") from None
    if parts.scheme not in DEFAULT_PORTS:
        raise UrlRefused("Only http and https URLs can receive webhooks.")
    if not parts.hostname:
        raise UrlRefused("The URL has no host.")
    if parts.username is not None or parts.password is not None:
        raise UrlRefused("The URL may not carry a user name or password; verify the signature instead.")
    host = parts.hostname
    if reason := addresses.unusable(host):
        raise UrlRefused(f"{reason[0].upper()}{reason[1:]}; webhooks only reach public addresses.")
    if not allow_private:
        if addresses.is_local_name(host):
            raise UrlRefused(f"{host} is this machine; webhooks only reach public addresses.")
        if (address := addresses.literal(host)) is not None and (reason := addresses.refusal(address)):
            raise UrlRefused(f"{reason[0].upper()}{reason[1:]}; webhooks only reach public addresses.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return Target(scheme=parts.scheme, host=host, port=port or DEFAULT_PORTS[parts.scheme], path=path,
                  host_header=netloc)


def _connection(target: Target, address: addresses.IPAddress, connect_timeout: float) -> HTTPConnection:
    if target.scheme == "https":
        return HTTPSConnection(str(address), target.port, timeout=connect_timeout, server_hostname=target.host,
                               cert_reqs="CERT_REQUIRED")
    return HTTPConnection(str(address), target.port, timeout=connect_timeout)


def post(url: str, *, body: bytes, headers: dict[str, str], allow_private: bool, connect_timeout: float,
         timeout: float, excerpt_bytes: int = 1024) -> Answer:
    """POST `body` to `url`; the receiver's status and the first `excerpt_bytes` of its answer.

    Raises UrlRefused or addresses.AddressRefused (never worth a retry), addresses.Unresolvable
    or DeliveryFailed (worth one).
    """
    target = check_url(url, allow_private=allow_private)
    address = addresses.resolve(target.host, target.port, allow_private=allow_private)[0]
    started = time.monotonic()
    conn = _connection(target, address, connect_timeout)
    fired = threading.Event()
    watchdog = threading.Timer(timeout, _abort, args=(conn, fired))
    watchdog.start()
    try:
        conn.connect()
        conn.sock.settimeout(timeout)  # connected: from now on the exchange's own limit
        conn.request("POST", target.path, body=body, preload_content=False, decode_content=False,
                     headers={**headers, "Host": target.host_header, "Content-Length": str(len(body))})
        response = conn.getresponse()
    except (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError) as exc:
        raise DeliveryFailed(_why(exc, fired, connect_timeout, timeout)) from exc
    else:
        excerpt = _excerpt(response, excerpt_bytes)
        return Answer(status=response.status, excerpt=excerpt, duration=round(time.monotonic() - started, 3),
                      location=response.headers.get("location", "")[:300])
    finally:
        watchdog.cancel()
        conn.close()


def _excerpt(response, limit: int) -> str:
    """The start of the answer; the status has been given already, so a body that does not come
    is only noted."""
    try:
        data = response.read(limit)
    except (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError):
        return "(the body could not be read in time)"
    return data.decode("utf-8", "replace")


def _abort(conn: HTTPConnection, fired: threading.Event) -> None:
    fired.set()
    sock = getattr(conn, "sock", None)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)  # wakes a blocked read; close() alone would not
        except OSError:
            pass


def _why(exc: Exception, fired: threading.Event, connect_timeout: float, timeout: float) -> str:
    if fired.is_set():
        return f"The receiver did not answer within {timeout:g} s."
    # NewConnectionError is a ConnectTimeoutError to urllib3: ask about it first
    if isinstance(exc, urllib3.exceptions.NewConnectionError | ConnectionRefusedError):
        return "The connection to the receiver was refused or could not be made."
    if isinstance(exc, urllib3.exceptions.ConnectTimeoutError):
        return f"The receiver could not be reached within {connect_timeout:g} s."
    if isinstance(exc, TimeoutError | urllib3.exceptions.TimeoutError):
        return f"The receiver did not answer within {timeout:g} s."
    if isinstance(exc, ssl.SSLError | urllib3.exceptions.SSLError):
        return f"TLS failed: {_short(exc)}"
    return f"The request failed: {_short(exc)}"


def _short(exc: Exception) -> str:
    return (str(exc) or type(exc).__name__)[:300]
