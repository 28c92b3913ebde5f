"""`python -m bench.soak`: mixed traffic against a real hub for a while; fail on resource growth.

Writes `soak-<time>.csv` (one row a second) and `soak-<time>.png` (RSS, descriptors, latency)
to --out, prints every bound with the measured value, exits 1 when a bound is broken, an answer
was a 5xx, the hub logged a traceback, or a ping went unanswered.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import re
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from bench.hub import Hub, Template
from bench.procs import REPO, Pinning
from bench.soak import chart
from bench.soak.sampler import Sample, Sampler, open_fds, write_csv
from bench.soak.traffic import SOAK_HTTP_CONFIG, Stats, Traffic
from bench.soak.verdict import Bounds, judge

BAD_LOG: Final = re.compile(
    r"Traceback|Error handling request|Unhandled error|Internal error|"
    r"Task exception was never retrieved|Exception in callback|Unexpected error"
)
IDLE_WAIT: Final = 10.0  # seconds for connections to close after the traffic stops


async def soak(
    hub: Hub, seconds: float, subscribers: int, seed: int
) -> tuple[Sampler, Stats, int, int]:
    """Run traffic and sampling for `seconds`; the sampler, the stats and idle fd counts."""
    stats = Stats()
    await asyncio.sleep(1.0)
    idle_before = open_fds(hub.pid)
    traffic = Traffic(hub, stats, seed)
    sampler = Sampler(hub, stats)
    sampler.subscribers = lambda: traffic.subscribers
    began = time.monotonic()
    tasks = [
        asyncio.create_task(traffic.run(subscribers)),
        asyncio.create_task(sampler.run(began)),
    ]
    await asyncio.wait(tasks, timeout=seconds, return_when=asyncio.FIRST_EXCEPTION)
    for task in tasks:
        task.cancel()
    for result in await asyncio.gather(*tasks, return_exceptions=True):
        if isinstance(result, Exception):
            stats.problem(f"a worker stopped: {result!r}")
    deadline = time.monotonic() + IDLE_WAIT
    idle_after = open_fds(hub.pid)
    while idle_after > idle_before and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        idle_after = open_fds(hub.pid)
    return sampler, stats, idle_before, idle_after


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run, report."""
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--seconds", type=float, default=600.0, help="traffic time (default 600)")
    parser.add_argument("--subscribers", type=int, default=10, help="WebSocket subscribers")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    parser.add_argument("--max-rss-growth", type=float, default=Bounds.rss_growth_mib)
    parser.add_argument("--max-fd-growth", type=int, default=Bounds.fd_growth)
    parser.add_argument("--warmup", type=float, default=Bounds.warmup)
    args = parser.parse_args(argv)
    bounds = Bounds(args.max_rss_growth, args.max_fd_growth, args.warmup)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hearth-soak-") as tmp:
        root = Path(tmp)
        template = Template.create(root)
        hub = Hub.prepare(template, root, "soak", entities=20, http_extra=SOAK_HTTP_CONFIG)
        hub.start(Pinning((), ()))
        try:
            sampler, stats, idle_before, idle_after = asyncio.run(
                soak(hub, args.seconds, args.subscribers, args.seed)
            )
            alive = hub.process is not None and hub.process.poll() is None
        finally:
            hub.stop()
        log = hub.log.read_text(encoding="utf-8", errors="replace")
    bad_log = [line for line in log.splitlines() if BAD_LOG.search(line)]
    problems = stats.problems + ([] if alive else ["the hub died"])
    samples = sampler.samples
    verdict, warmup = judge(samples, idle_before, idle_after, bounds, problems, bad_log)
    csv_path = args.out / f"soak-{stamp}.csv"
    png_path = args.out / f"soak-{stamp}.png"
    write_csv(csv_path, samples)
    draw(png_path, samples, bounds, verdict.rss_start)
    counts = stats.counts
    print(
        f"Soak: {samples[-1].t if samples else 0:.0f} s, {counts['requests']} requests, "
        f"{counts['logins']} logins, {counts['failed_logins']} failed logins, "
        f"{counts['ws_connections']} WebSocket connections ({counts['ws_events']} events), "
        f"{counts['cli_writes']} CLI writes, {counts['server_errors']} answers 5xx"
    )
    for line in verdict.lines(bounds, warmup):
        print(line)
    print(f"Samples: {csv_path}\nChart: {png_path}")
    for failure in verdict.failures:
        print(f"FAIL: {failure}")
    print("PASS" if not verdict.failures else "FAILED")
    return 1 if verdict.failures else 0


def draw(path: Path, samples: list[Sample], bounds: Bounds, rss_start: float) -> None:
    """The chart: RSS with its bound, descriptors, latency."""
    times = [s.t for s in samples]
    limit = None if math.isnan(rss_start) else rss_start + bounds.rss_growth_mib
    chart.draw(
        path,
        times,
        [
            chart.Panel("RSS (MIB)", [chart.Series("RSS", [s.rss_mib for s in samples])], limit),
            chart.Panel(
                "OPEN FILE DESCRIPTORS", [chart.Series("FDS", [float(s.fds) for s in samples])]
            ),
            chart.Panel(
                "LATENCY (MS)",
                [
                    chart.Series("WS PING", [s.ws_ping_ms for s in samples]),
                    chart.Series("GET CORE/STATE", [s.http_ms for s in samples]),
                ],
            ),
        ],
    )


if __name__ == "__main__":
    sys.exit(main())
