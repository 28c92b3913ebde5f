"""A light HTTP/1.1 load generator for what wrk cannot do: many client addresses.

Each kept-alive connection binds its own loopback source address (127.0.1.x), so a flood of
failures is spread over many clients, as a distributed attack is, and no single address reaches
the ban threshold. One request in flight per connection, as with wrk.

Run as `python -m bench.httpload HOST PORT PATH SECONDS CONNECTIONS SOURCES [HEADER ...]`;
prints one JSON object with the fields of `bench.wrk.WrkResult` plus the statuses seen.
"""

from __future__ import annotations

import asyncio
import re
import ssl
import statistics
import sys
import time
from collections import Counter
from typing import Any

import orjson

_LENGTH = re.compile(rb"\r\ncontent-length: *(\d+)", re.IGNORECASE)


def source_addresses(count: int) -> list[str]:
    """Loopback addresses 127.0.1.1, 127.0.1.2, ... (the whole 127/8 is loopback on Linux)."""
    return [f"127.0.{1 + n // 250}.{1 + n % 250}" for n in range(count)]


class Connection(asyncio.Protocol):
    """Sends the same request again as soon as the previous response is complete."""

    def __init__(self, request: bytes, stats: Stats) -> None:
        self.request = request
        self.stats = stats
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.sent_at = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def send(self) -> None:
        """Send the next request unless the run is over."""
        if self.stats.running and self.transport is not None:
            self.sent_at = time.perf_counter_ns()
            self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        buf = self.buffer
        buf += data
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return
        length = _LENGTH.search(buf, 0, end + 2)
        total = end + 4 + (int(length.group(1)) if length else 0)
        if len(buf) < total:
            return
        self.stats.record(bytes(buf[9:12]), time.perf_counter_ns() - self.sent_at)
        del buf[:total]
        self.send()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.stats.running:
            self.stats.errors += 1


class Stats:
    """Responses counted while the run is on."""

    def __init__(self) -> None:
        self.running = False
        self.statuses: Counter[bytes] = Counter()
        self.latencies: list[int] = []
        self.errors = 0

    def record(self, status: bytes, latency_ns: int) -> None:
        """Count one complete response."""
        if self.running:
            self.statuses[status] += 1
            self.latencies.append(latency_ns)


async def run(
    host: str, port: int, path: str, seconds: float, connections: int, sources: int,
    headers: list[str], *, tls: bool = False,
) -> dict[str, Any]:  # fmt: skip
    """Load `path` for `seconds` (over TLS: unverified); requests per second and statuses."""
    context = None
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # the bench's own throwaway certificate
    loop = asyncio.get_running_loop()
    stats = Stats()
    head = "".join(f"{h}\r\n" for h in headers)
    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{head}\r\n".encode()
    addresses = source_addresses(sources) if sources else [None]
    conns = []
    for number in range(connections):
        source = addresses[number % len(addresses)]
        _, conn = await loop.create_connection(
            lambda: Connection(request, stats),
            host,
            port,
            local_addr=(source, 0) if source else None,
            ssl=context,
        )
        conns.append(conn)
    stats.running = True
    began = time.perf_counter()
    for conn in conns:
        conn.send()
    await asyncio.sleep(seconds)
    stats.running = False
    elapsed = time.perf_counter() - began
    for conn in conns:
        if conn.transport is not None:
            conn.transport.close()
    total = sum(stats.statuses.values())
    latencies = sorted(stats.latencies) or [0]
    return {
        "requests_per_second": total / elapsed,
        "requests": total,
        "non_2xx": sum(n for s, n in stats.statuses.items() if not s.startswith(b"2")),
        "socket_errors": stats.errors,
        "p50_ms": statistics.median(latencies) / 1e6,
        "p99_ms": latencies[int(len(latencies) * 0.99)] / 1e6,
        "statuses": {s.decode(): n for s, n in stats.statuses.items()},
    }


if __name__ == "__main__":
    host, port, path, seconds, connections, sources, *extra = sys.argv[1:]
    outcome = asyncio.run(
        run(host, int(port), path, float(seconds), int(connections), int(sources), extra)
    )
    print(orjson.dumps(outcome).decode())
