"""The one way webhooks make requests: a POST to a checked URL, on the address that was checked.

The host is resolved once and every address checked (`addresses.py`); the connection goes to
the checked address itself, with the URL's host name only in the Host header and, for https, in
TLS (SNI and certificate verification): no second lookup can send the request elsewhere (DNS
rebinding). Redirects are not followed. At most a small excerpt of the answer is read.

One try has a hard wall-clock limit (`timeout`), from the lookup to the last byte read: a
watchdog keeps its own descriptor of the connection's socket from the moment it is made and shuts
the socket down at the deadline, whatever the exchange is doing (connecting, the TLS handshake,
waiting for the status line, reading a body that drips, a closing answer whose socket the HTTP
client no longer holds). Connecting has a shorter limit of its own (`connect_timeout`), which
bounds only the connection.
"""

from __future__ import annotations

import http.client
import logging
import socket
import ssl
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
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


class _Watchdog:
    """Shuts down every socket it guards at the deadline: a blocked connect, handshake or read
    returns at once (close() alone would not wake it)."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.fired = threading.Event()
        self._lock = threading.Lock()
        self._guarded: list[socket.socket] = []
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._fire)
        self._timer.daemon = True

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()
        with self._lock:
            for sock in self._guarded:
                sock.close()
            self._guarded.clear()

    def remaining(self) -> float:
        return max(0.001, self.deadline - time.monotonic())

    def guard(self, sock: socket.socket) -> None:
        # A descriptor of our own for the same socket: http.client drops its reference once an
        # answer says `Connection: close`, and TLS detaches the plain socket it wraps; a shutdown
        # through any descriptor ends the connection for all of them.
        duplicate = sock.dup()
        with self._lock:
            self._guarded.append(duplicate)
            if self.fired.is_set():
                _shutdown(duplicate)

    def _fire(self) -> None:
        with self._lock:
            self.fired.set()
            for sock in self._guarded:
                _shutdown(sock)


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed by the other side


class _Guarded:
    """A connection whose socket the watchdog guards from the moment it exists."""

    watchdog: _Watchdog

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()  # type: ignore[misc]
        self.watchdog.guard(sock)
        return sock


class _GuardedHTTP(_Guarded, HTTPConnection):
    pass


class _GuardedHTTPS(_Guarded, HTTPSConnection):
    pass


def _connection(target: Target, address: addresses.IPAddress, connect_timeout: float,
                watchdog: _Watchdog) -> HTTPConnection:
    if target.scheme == "https":
        conn = _GuardedHTTPS(str(address), target.port, timeout=connect_timeout, server_hostname=target.host,
                             cert_reqs="CERT_REQUIRED")
    else:
        conn = _GuardedHTTP(str(address), target.port, timeout=connect_timeout)
    conn.watchdog = watchdog
    return conn


def _resolve(target: Target, *, allow_private: bool, deadline: float, timeout: float) -> addresses.IPAddress:
    """The checked address, within the deadline. A lookup cannot be interrupted, so it runs on a
    thread of its own, left to end by itself (the resolver's own timeouts) if it hangs."""
    found: Future[addresses.IPAddress] = Future()

    def lookup() -> None:
        try:
            found.set_result(addresses.resolve(target.host, target.port, allow_private=allow_private)[0])
        except Exception as exc:  # noqa: BLE001 - handed to the caller, which raises it
            found.set_exception(exc)

    threading.Thread(target=lookup, name="webhook-lookup", daemon=True).start()
    try:
        return found.result(timeout=max(0.0, deadline - time.monotonic()))
    except FutureTimeout:
        raise DeliveryFailed(f"{target.host} did not resolve within {timeout:g} s.") from None


def post(url: str, *, body: bytes, headers: dict[str, str], allow_private: bool, connect_timeout: float,
         timeout: float, excerpt_bytes: int = 1024) -> Answer:
    """POST `body` to `url`; the receiver's status and the first `excerpt_bytes` of its answer,
    all within `timeout` seconds (the status decides; a body still arriving at the deadline is
    cut off, and what came of it is the excerpt).

    Raises UrlRefused or addresses.AddressRefused (never worth a retry), addresses.Unresolvable
    or DeliveryFailed (worth one).
    """
    started = time.monotonic()
    target = check_url(url, allow_private=allow_private)
    address = _resolve(target, allow_private=allow_private, deadline=started + timeout, timeout=timeout)
    with _Watchdog(started + timeout) as watchdog:
        conn = _connection(target, address, min(connect_timeout, watchdog.remaining()), watchdog)
        try:
            conn.connect()
            # Connected: what is left of the whole try bounds each read from now on (urllib3 sets
            # the connection's timeout on the socket again before reading the answer).
            conn.timeout = watchdog.remaining()
            conn.request("POST", target.path, body=body, preload_content=False, decode_content=False,
                         headers={**headers, "Host": target.host_header, "Content-Length": str(len(body))})
            response = conn.getresponse()
        except (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError) as exc:
            conn.close()
            raise DeliveryFailed(_why(exc, watchdog.fired, connect_timeout, timeout)) from exc
        try:
            excerpt = _excerpt(response, excerpt_bytes, watchdog.fired)
        finally:
            conn.close()
            response.close()
    return Answer(status=response.status, excerpt=excerpt, duration=round(time.monotonic() - started, 3),
                  location=response.headers.get("location", "")[:300])


def _excerpt(response, limit: int, fired: threading.Event) -> str:
    """The start of the answer, as much of it as arrives in time; the status has been given
    already, so a body that does not come is only noted."""
    data = bytearray()
    try:
        while len(data) < limit and not fired.is_set():
            chunk = response.read1(limit - len(data))
            if not chunk:
                break
            data += chunk
    except (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError):
        if not data:
            return "(the body could not be read in time)"
    return data.decode("utf-8", "replace")


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
