"""An open-loop HTTP load generator for the web benchmarks: requests leave on a fixed schedule
(request k at start + k/rps) whatever the server does, and each latency is measured from the
moment its request was *due*, so a stalled server cannot hide its queue (no coordinated
omission). Raw asyncio streams over keep-alive connections: at 100 requests/s this costs a few
percent of one core, so the load generator does not steal the CPU the server is measured on
(locust, run before, took a large share of this 2-core machine).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)  # seconds, from due time to full response
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else float("nan")

    def summary(self) -> str:
        ms = lambda s: f"{s * 1000:.1f}"  # noqa: E731
        return (f"requests {len(self.latencies)}, statuses {dict(sorted(self.statuses.items()))}, "
                f"errors {self.errors} {self.error_kinds or ''}, "
                f"achieved {len(self.latencies) / self.elapsed:.1f}/s\n"
                f"  p50 {ms(self.percentile(50))} ms   p90 {ms(self.percentile(90))} ms   "
                f"p99 {ms(self.percentile(99))} ms   max {ms(max(self.latencies, default=0))} ms   "
                f"mean {ms(statistics.fmean(self.latencies) if self.latencies else 0)} ms")


class _Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, raw: bytes) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(raw)
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length, chunked = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
        if chunked:
            while (size := int((await self.reader.readline()).strip(), 16)):
                await self.reader.readexactly(size + 2)
            await self.reader.readline()
        else:
            await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


async def _run(host: str, port: int, make_request: Callable[[int], bytes], rps: float, seconds: float) -> Result:
    result, idle, total = Result(), [], int(rps * seconds)
    start = time.perf_counter() + 0.05

    async def one(k: int) -> None:
        due = start + k / rps
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        reused = bool(idle)
        conn = idle.pop() if idle else _Connection(host, port)
        try:
            try:
                status = await conn.request(make_request(k))
            except (OSError, IndexError, asyncio.IncompleteReadError):
                if not reused:
                    raise
                conn.close()  # the server closed an idle keep-alive connection: once more on a new one
                status = await conn.request(make_request(k))
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError) as exc:
            conn.close()
            result.errors += 1
            result.error_kinds[type(exc).__name__] = result.error_kinds.get(type(exc).__name__, 0) + 1
            return
        result.latencies.append(time.perf_counter() - due)
        result.statuses[status] = result.statuses.get(status, 0) + 1
        idle.append(conn)

    await asyncio.gather(*(one(k) for k in range(total)))
    result.elapsed = time.perf_counter() - start
    for conn in idle:
        conn.close()
    return result


def run(host: str, port: int, make_request: Callable[[int], bytes], *, rps: float, seconds: float) -> Result:
    """Sends rps*seconds requests (make_request(k) returns request k's raw HTTP/1.1 bytes)."""
    return asyncio.run(_run(host, port, make_request, rps, seconds))
