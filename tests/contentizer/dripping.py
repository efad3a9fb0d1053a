"""A webhook receiver that answers 200 at once, then drips its body: 10 bytes every 0.5 s of a
body it announces as a megabyte, for as long as the sender listens (a raw socket server on
127.0.0.1, so nothing in the HTTP stack helps the sender)."""

from __future__ import annotations

import socket
import threading
import time


class DrippingReceiver:
    def __init__(self, *, keep_alive: bool = False, chunk: bytes = b"0123456789", every: float = 0.5) -> None:
        self.keep_alive, self.chunk, self.every = keep_alive, chunk, every
        self.server = socket.create_server(("127.0.0.1", 0))
        self.stopped = threading.Event()
        self.lock = threading.Lock()
        self.open: set[socket.socket] = set()  # connections still being dripped to
        self.requests = 0
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def port(self) -> int:
        return self.server.getsockname()[1]

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def dripping(self) -> int:
        """How many senders are still connected and being dripped to."""
        with self.lock:
            return len(self.open)

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        with conn:
            if not _read_request(conn):
                return
            with self.lock:
                self.requests += 1
                self.open.add(conn)
            close = b"" if self.keep_alive else b"Connection: close\r\n"
            try:
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000000\r\n"
                             + close + b"\r\n")
                while not self.stopped.is_set():
                    conn.sendall(self.chunk)
                    if self.stopped.wait(self.every):
                        break
            except OSError:
                pass  # the sender hung up: what a bounded sender does
            finally:
                with self.lock:
                    self.open.discard(conn)

    def close(self) -> None:
        self.stopped.set()
        self.server.close()
        with self.lock:
            for conn in self.open:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def _read_request(conn: socket.socket) -> bool:
    """Read one request (headers and its Content-Length of body); False if the sender left."""
    conn.settimeout(30)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            more = conn.recv(65536)
            if not more:
                return False
            data += more
        head, _, body = data.partition(b"\r\n\r\n")
        length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        deadline = time.monotonic() + 30
        while len(body) < length and time.monotonic() < deadline:
            more = conn.recv(65536)
            if not more:
                return False
            body += more
    except OSError:
        return False
    conn.settimeout(None)
    return True
