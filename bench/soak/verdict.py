"""Whether a soak run passed: resource growth within stated bounds, no errors, no hang."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Final

from bench.soak.sampler import Sample

WINDOW: Final = 30.0  # seconds averaged (median) at each end of the comparison


@dataclass(frozen=True)
class Bounds:
    """The limits a run must stay within."""

    rss_growth_mib: float = 16.0  # median RSS, end of warm-up to end of traffic
    fd_growth: int = 4  # open descriptors, idle before traffic to idle after it
    warmup: float = 120.0  # seconds of traffic before the RSS baseline (shorter runs: a third)


@dataclass(frozen=True)
class Verdict:
    """The numbers the run is judged by, and the reasons it failed (none: it passed)."""

    rss_start: float
    rss_end: float
    fds_idle_before: int
    fds_idle_after: int
    fds_max: int
    ping_p50: float
    ping_p99: float
    ping_max: float
    failures: list[str]

    def lines(self, bounds: Bounds, warmup: float) -> list[str]:
        """A human summary that states every bound."""
        growth = self.rss_end - self.rss_start
        return [
            f"RSS: {self.rss_start:.1f} MiB after {warmup:.0f} s of traffic, "
            f"{self.rss_end:.1f} MiB at the end: {growth:+.1f} MiB "
            f"(bound: at most +{bounds.rss_growth_mib:.0f} MiB)",
            f"File descriptors: {self.fds_idle_before} idle before, {self.fds_idle_after} idle "
            f"after, {self.fds_max} at most under load (bound: at most +{bounds.fd_growth} idle)",
            f"Event-loop lag (WebSocket ping round trip): median {self.ping_p50:.1f} ms, "
            f"p99 {self.ping_p99:.1f} ms, max {self.ping_max:.1f} ms "
            "(bound: every ping answered within 10 s)",
        ]


def _median_between(samples: list[Sample], start: float, end: float) -> float:
    values = [s.rss_mib for s in samples if start <= s.t <= end]
    return statistics.median(values) if values else float("nan")


def judge(
    samples: list[Sample],
    idle_before: int,
    idle_after: int,
    bounds: Bounds,
    problems: list[str],
    bad_log: list[str],
) -> tuple[Verdict, float]:
    """The verdict, and the warm-up actually used."""
    duration = samples[-1].t if samples else 0.0
    warmup = min(bounds.warmup, duration / 3)
    rss_start = _median_between(samples, warmup, warmup + WINDOW)
    rss_end = _median_between(samples, duration - WINDOW, duration)
    pings = sorted(s.ws_ping_ms for s in samples if s.ws_ping_ms is not None)
    failures = list(problems)
    if not samples:
        failures.append("no samples")
    if rss_end - rss_start > bounds.rss_growth_mib:
        failures.append(
            f"RSS grew {rss_end - rss_start:.1f} MiB after warm-up (> {bounds.rss_growth_mib} MiB)"
        )
    if idle_after - idle_before > bounds.fd_growth:
        failures.append(
            f"{idle_after - idle_before} more descriptors when idle (> {bounds.fd_growth})"
        )
    if samples and samples[-1].server_errors:
        failures.append(f"{samples[-1].server_errors} answers were 5xx")
    failures += [f"hub log: {line}" for line in bad_log[:10]]
    verdict = Verdict(
        rss_start=rss_start,
        rss_end=rss_end,
        fds_idle_before=idle_before,
        fds_idle_after=idle_after,
        fds_max=max((s.fds for s in samples), default=0),
        ping_p50=pings[len(pings) // 2] if pings else float("nan"),
        ping_p99=pings[min(len(pings) - 1, int(len(pings) * 0.99))] if pings else float("nan"),
        ping_max=pings[-1] if pings else float("nan"),
        failures=failures,
    )
    return verdict, warmup
