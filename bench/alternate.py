"""Round-by-round alternation of Hearth and its ceiling, so that both share the machine's noise."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from bench import httpload, wrk
from bench.hub import request
from bench.procs import Pinning
from bench.results import CaseResult, Settings, median

T = TypeVar("T")
SETTLE = 0.2  # seconds between two load runs


def rounds(
    labels: Sequence[str], settings: Settings, measure: Callable[[str], T]
) -> dict[str, list[T]]:
    """Measure every label once per round; the order turns each round (ABC, BCA, CAB ...)."""
    results: dict[str, list[T]] = {label: [] for label in labels}
    for number in range(settings.rounds):
        shift = number % len(labels)
        for label in [*labels[shift:], *labels[:shift]]:
            results[label].append(measure(label))
    return results


def paired(result: CaseResult, hearth: list[float], ceiling: list[float]) -> None:
    """Fill Hearth's and the ceiling's values and the per-round ratios (higher is faster)."""
    result.hearth, result.ceiling = hearth, ceiling
    result.ratios = [h / c for h, c in zip(hearth, ceiling, strict=True) if c > 0]


@dataclass(frozen=True)
class Endpoint:
    """A URL that wrk loads, and the status every response must have."""

    label: str
    host: str
    port: int
    path: str
    expect: int
    headers: dict[str, str] = field(default_factory=dict)
    sources: int = 0  # > 0: bench.httpload with this many client addresses instead of wrk
    tls: bool = False

    @property
    def url(self) -> str:
        """The URL for wrk."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{host}:{self.port}{self.path}"

    def check_once(self) -> None:
        """One plain request must get the expected status (before and after the load)."""
        token = self.headers.get("Authorization", "").removeprefix("Bearer ") or None
        status = request(
            self.port, "GET", self.path, host=self.host, token=token, tls=self.tls
        ).status
        if status != self.expect:
            raise RuntimeError(f"{self.label}: {self.url} answered {status}, not {self.expect}")

    def run(self, seconds: float, pinning: Pinning) -> wrk.WrkResult:
        """Load the URL for `seconds` with wrk; bench.httpload for many sources or < 1 s."""
        # Let the server see the previous run's connections close: Hearth caps the connections
        # one address may hold (64), and 50 closing plus 50 new ones would go over it.
        time.sleep(SETTLE)
        if not self.sources and seconds >= 1:
            return wrk.run(self.url, seconds, pinning, headers=self.headers)
        # In this process (pinned to the client CPUs): no interpreter start per run.
        headers = [f"{name}: {value}" for name, value in self.headers.items()]
        data = asyncio.run(
            httpload.run(
                self.host,
                self.port,
                self.path,
                seconds,
                wrk.CONNECTIONS,
                self.sources,
                headers,
                tls=self.tls,
            )
        )
        data.pop("statuses")
        return wrk.WrkResult(**data)


def load(
    endpoints: Sequence[Endpoint],
    settings: Settings,
    pinning: Pinning,
    *,
    around: Callable[[str, Callable[[], wrk.WrkResult]], wrk.WrkResult] | None = None,
) -> dict[str, list[wrk.WrkResult]]:
    """wrk each endpoint alternately for the configured rounds; every response is checked."""
    by_label = {endpoint.label: endpoint for endpoint in endpoints}
    for endpoint in endpoints:
        endpoint.check_once()
        if settings.warmup:
            endpoint.run(settings.warmup, pinning)

    def measure(label: str) -> wrk.WrkResult:
        endpoint = by_label[label]

        def run() -> wrk.WrkResult:
            return endpoint.run(settings.seconds, pinning)

        result = around(label, run) if around is not None else run()
        _check(endpoint, result)
        return result

    results = rounds(list(by_label), settings, measure)
    for endpoint in endpoints:
        endpoint.check_once()
    return results


def _check(endpoint: Endpoint, result: wrk.WrkResult) -> None:
    """Every response had the expected class of status, or the number means nothing."""
    if endpoint.expect < 300 and result.non_2xx:
        raise RuntimeError(f"{endpoint.label}: {result.non_2xx} responses were not 2xx")
    if endpoint.expect >= 400 and result.non_2xx < result.requests:
        raise RuntimeError(
            f"{endpoint.label}: {result.requests - result.non_2xx} responses were not errors"
        )
    if result.requests == 0:
        raise RuntimeError(f"{endpoint.label}: no request completed")


def fill(result: CaseResult, runs: dict[str, list[wrk.WrkResult]], hearth: str = "hearth") -> None:
    """Requests per second of Hearth and the ceiling, their ratios and latency details."""
    ours = runs[hearth]
    paired(
        result,
        [r.requests_per_second for r in ours],
        [r.requests_per_second for r in runs["ceiling"]],
    )
    result.details.update(
        p50_ms=median([r.p50_ms for r in ours]),
        p99_ms=median([r.p99_ms for r in ours]),
        ceiling_p50_ms=median([r.p50_ms for r in runs["ceiling"]]),
        socket_errors=sum(r.socket_errors for r in ours),
    )
