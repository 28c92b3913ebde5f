"""Once a second: the hub's memory, descriptors and responsiveness, measured from outside."""

from __future__ import annotations

import asyncio
import csv
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Final

import aiohttp

from bench import procs
from bench.hub import Hub
from bench.soak.traffic import GOOD_SOURCES, Stats

PING_TIMEOUT: Final = 10.0  # no pong within this: the event loop hangs (recorded as a gap)


@dataclass(frozen=True)
class Sample:
    """One second of the run (times in seconds since traffic began, latencies in ms)."""

    t: float
    rss_mib: float
    fds: int
    ws_ping_ms: float | None
    http_ms: float | None
    requests: int
    server_errors: int
    subscribers: int
    ws_events: int
    logins: int
    failed_logins: int
    problems: int


def open_fds(pid: int) -> int:
    """How many file descriptors the process holds."""
    return len(os.listdir(f"/proc/{pid}/fd"))


class Sampler:
    """Measures the hub over its own WebSocket (ping round trip) and a tiny HTTP request."""

    def __init__(self, hub: Hub, stats: Stats) -> None:
        self.hub = hub
        self.stats = stats
        self.samples: list[Sample] = []
        self.subscribers: Callable[[], int] = lambda: 0
        self._ids = 0

    async def run(self, began: float) -> None:
        """Sample every second until cancelled."""
        connector = aiohttp.TCPConnector(local_addr=(GOOD_SOURCES[0], 0))
        url = f"http://127.0.0.1:{self.hub.port}/api/websocket"
        async with (
            aiohttp.ClientSession(connector=connector) as http,
            http.ws_connect(url) as ws,
        ):
            await ws.receive_json()
            await ws.send_json({"type": "auth", "access_token": self.hub.token})
            await ws.receive_json()
            while True:
                tick = time.monotonic()
                self.samples.append(await self.sample(http, ws, tick - began))
                await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - tick)))

    async def sample(
        self, http: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse, t: float
    ) -> Sample:
        """One sample now."""
        counts = self.stats.counts
        return Sample(
            t=round(t, 2),
            rss_mib=round(procs.rss_mib(self.hub.pid), 2),
            fds=open_fds(self.hub.pid),
            ws_ping_ms=await self._ping(ws),
            http_ms=await self._http(http),
            requests=counts["requests"],
            server_errors=counts["server_errors"],
            subscribers=self.subscribers(),
            ws_events=counts["ws_events"],
            logins=counts["logins"],
            failed_logins=counts["failed_logins"],
            problems=counts["problems"],
        )

    async def _ping(self, ws: aiohttp.ClientWebSocketResponse) -> float | None:
        self._ids += 1
        started = time.perf_counter()
        await ws.send_json({"id": self._ids, "type": "ping"})
        try:
            async with asyncio.timeout(PING_TIMEOUT):
                while (await ws.receive_json()).get("id") != self._ids:
                    pass
        except TimeoutError:
            self.stats.problem(f"no pong within {PING_TIMEOUT:.0f} s")
            return None
        return round((time.perf_counter() - started) * 1000, 2)

    async def _http(self, http: aiohttp.ClientSession) -> float | None:
        started = time.perf_counter()
        url = f"http://127.0.0.1:{self.hub.port}/api/core/state"
        try:
            async with http.get(url, headers={"Authorization": f"Bearer {self.hub.token}"}) as resp:
                await resp.read()
                if resp.status != 200:
                    self.stats.problem(f"sampler GET /api/core/state: {resp.status}")
                    return None
        except (aiohttp.ClientError, TimeoutError) as err:
            self.stats.problem(f"sampler GET /api/core/state: {err!r}")
            return None
        return round((time.perf_counter() - started) * 1000, 2)


def write_csv(path: Path, samples: list[Sample]) -> None:
    """The samples, one row a second."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, [field.name for field in fields(Sample)])
        writer.writeheader()
        for sample in samples:
            writer.writerow(asdict(sample))
