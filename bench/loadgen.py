"""A small HTTP/1.1 load generator on raw asyncio streams (keep-alive), for loopback targets only.

Closed loop (``max_throughput``): N connections send back-to-back for a fixed time.
Open loop (``fixed_rate``): requests are scheduled at a fixed rate whatever the answers do, and
latency is measured from the scheduled time (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote


@dataclass
class Result:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    elapsed_s: float = 0.0

    @property
    def count(self) -> int:
        return len(self.latencies_ms)

    @property
    def rps(self) -> float:
        return self.count / self.elapsed_s if self.elapsed_s else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(p / 100 * len(ordered)) - 1)]

    def summary(self) -> str:
        if not self.latencies_ms:
            return f"no responses, errors={self.errors}"
        return (
            f"{self.count} responses in {self.elapsed_s:.1f}s = {self.rps:.0f}/s, "
            f"p50 {self.percentile(50):.2f} ms, p99 {self.percentile(99):.2f} ms, "
            f"max {max(self.latencies_ms):.2f} ms, mean {statistics.fmean(self.latencies_ms):.2f} ms, "
            f"statuses {dict(sorted(self.statuses.items()))}, errors {self.errors}"
        )


class Connection:
    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        self.extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, path: str, *, retry: bool = True) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(
            f"GET {quote(path, safe='/?=&%:')} HTTP/1.1\r\nHost: {self.host}\r\n{self.extra}\r\n".encode()
        )
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            # The server closed an idle keep-alive connection (nginx does after 1000 requests).
            self.close()
            if not retry:
                raise ConnectionResetError("connection closed before a response")
            return await self.request(path, retry=False)
        status = int(status_line.split()[1])
        length = 0
        chunked = False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "transfer-encoding" and "chunked" in value:
                chunked = True
        if chunked:
            while True:
                size = int((await self.reader.readline()).strip(), 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        else:
            await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


async def max_throughput(
    host: str,
    port: int,
    paths: Callable[[], str],
    *,
    connections: int,
    seconds: float,
    headers: dict[str, str],
) -> Result:
    result = Result()
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        conn = Connection(host, port, headers)
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                status = await conn.request(paths())
            except (OSError, ValueError, asyncio.IncompleteReadError):
                result.errors += 1
                conn.close()
                continue
            result.latencies_ms.append((time.perf_counter() - started) * 1000)
            result.statuses[status] = result.statuses.get(status, 0) + 1
        conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    result.elapsed_s = time.perf_counter() - started
    return result


async def fixed_rate(
    host: str,
    port: int,
    paths: Callable[[], str],
    *,
    rate: float,
    seconds: float,
    headers: dict[str, str],
    pool: int = 32,
) -> Result:
    result = Result()
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(pool):
        idle.put_nowait(Connection(host, port, headers))
    start = time.perf_counter()
    total = int(rate * seconds)

    async def one(scheduled: float) -> None:
        conn = await idle.get()
        try:
            status = await conn.request(paths())
            result.latencies_ms.append((time.perf_counter() - scheduled) * 1000)
            result.statuses[status] = result.statuses.get(status, 0) + 1
        except (OSError, ValueError, asyncio.IncompleteReadError):
            result.errors += 1
            conn.close()
        finally:
            idle.put_nowait(conn)

    tasks = []
    for i in range(total):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(scheduled)))
    await asyncio.gather(*tasks)
    result.elapsed_s = time.perf_counter() - start
    while not idle.empty():
        idle.get_nowait().close()
    return result


def chooser(items: list[str], template: str) -> Callable[[], str]:
    rng = random.Random(7)
    return lambda: template.format(rng.choice(items))
