"""Login under pressure, against the real hub: unknown users cost what wrong passwords cost,
and a flood of wrong logins neither starves authenticated requests nor grows memory."""

from __future__ import annotations

import asyncio
import json
import math
import secrets
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hearth.auth.manager import AuthManager
from tests.acceptance.support import PASSWORD, USERNAME, RunningHub, assert_serving, request
from tests.acceptance.support_login import begin_flow, flow_step, started_hub

pytestmark = pytest.mark.acceptance

# Bans off: these tests fail on purpose far more often than any ban threshold allows, and want
# the expensive path (a password hash per attempt), not the cheap refusal of a banned address.
NO_BANS = "  ip_ban_enabled: false\n"
EXTRA_USERS = 5
ATTEMPTS_PER_USER = 3  # the account throttle lets this many through without delay
FLOOD_ADDRESSES = 25  # 127.0.0.2 ... each under the per-address connection cap
FLOOD_TASKS_PER_ADDRESS = 12
FLOOD_SECONDS = 6.0


@pytest.fixture
def quiet_hub(tmp_path: Path, hub_template: tuple[Path, str]) -> Iterator[RunningHub]:
    yield from started_hub(tmp_path, hub_template, "load", NO_BANS)


def rank_sum_z(a: list[float], b: list[float]) -> float:
    """Mann-Whitney U as a z-score (no ties expected in timings)."""
    ranked = sorted([(x, 0) for x in a] + [(x, 1) for x in b])
    rank_a = sum(rank + 1 for rank, (_, group) in enumerate(ranked) if group == 0)
    n1, n2 = len(a), len(b)
    u = rank_a - n1 * (n1 + 1) / 2
    mean = n1 * n2 / 2
    sd = math.sqrt(n1 * n2 * (n1 + n2 + 1) / 12)
    return (u - mean) / sd


def timed_attempt(hub: RunningHub, username: str) -> float:
    flow = begin_flow(hub)
    start = time.perf_counter()
    reply = flow_step(hub, flow["flow_id"], username=username, password="definitely wrong")
    elapsed = time.perf_counter() - start
    assert reply.json()["errors"] == {"base": "invalid_auth"}
    return elapsed


def test_unknown_user_costs_the_same_as_a_wrong_password(quiet_hub: RunningHub) -> None:
    auth = AuthManager.open(quiet_hub.config_dir)  # real hashing parameters, as the hub's
    try:
        known = [USERNAME] + [
            asyncio.run(auth.create_user(f"timing{n}", PASSWORD)).username
            for n in range(EXTRA_USERS)
        ]
    finally:
        auth.close()
    timed_attempt(quiet_hub, "warm-up-" + secrets.token_hex(4))
    unknown_times, wrong_times = [], []
    for index in range(len(known) * ATTEMPTS_PER_USER):
        # Interleaved, so that drifts in machine load hit both groups alike.
        unknown_times.append(timed_attempt(quiet_hub, "nobody-" + secrets.token_hex(6)))
        wrong_times.append(timed_attempt(quiet_hub, known[index // ATTEMPTS_PER_USER]))
    unknown, wrong = statistics.median(unknown_times), statistics.median(wrong_times)
    z = rank_sum_z(unknown_times, wrong_times)
    report = f"median unknown {unknown * 1000:.1f} ms, wrong {wrong * 1000:.1f} ms, z={z:.2f}"
    # A missing dummy hash would make unknown users several times faster and fully separated
    # (|z| > 5 with these sample sizes); the bounds are generous for a shared, busy machine.
    assert abs(unknown - wrong) <= max(0.05, 0.5 * wrong), report
    assert abs(z) < 4.0, report


def rss_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"{field} not in /proc/{pid}/status")


def probe(hub: RunningHub, seconds: float) -> list[float]:
    """Latencies of authenticated GET /api/ requests, one every 100 ms."""
    latencies = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        start = time.perf_counter()
        reply = request(hub, "GET", "/api/", token=hub.token)
        latencies.append(time.perf_counter() - start)
        assert reply.status == 200, reply
        time.sleep(0.1)
    return latencies


def test_login_flood_does_not_starve_the_api(quiet_hub: RunningHub) -> None:
    pid = quiet_hub.process.pid
    assert_serving(quiet_hub)
    baseline = rss_kib(pid, "VmRSS")
    # The flood comes from its own process, like an attacker's would: the probe below measures
    # the hub, not this test's own event loop.
    flood = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).with_name("login_flood.py")),
            str(quiet_hub.port),
            str(FLOOD_SECONDS),
            str(FLOOD_ADDRESSES),
            str(FLOOD_TASKS_PER_ADDRESS),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1.0)  # let the flood build up
        latencies = probe(quiet_hub, FLOOD_SECONDS - 1.5)
        output, _ = flood.communicate(timeout=60)
    finally:
        if flood.poll() is None:
            flood.kill()
            flood.wait()
    assert flood.returncode == 0, output
    counts = {int(status): n for status, n in json.loads(output).items()}
    peak = rss_kib(pid, "VmHWM")
    report = (
        f"{sum(counts.values())} flood responses {counts}; /api/ latency max "
        f"{max(latencies) * 1000:.0f} ms, median {statistics.median(latencies) * 1000:.0f} ms; "
        f"RSS {baseline // 1024} MiB -> peak {peak // 1024} MiB"
    )
    print(report)
    # Wrong passwords are answered (200 with invalid_auth) or refused while the hashing pool is
    # full (503); never an error, never a hang.
    assert set(counts) <= {200, 503}, report
    assert counts.get(200, 0) >= FLOOD_ADDRESSES * FLOOD_TASKS_PER_ADDRESS, report
    # Every request waits its turn behind the flood's (one event loop, fairly shared): slower,
    # never starved.
    assert len(latencies) >= 5, report
    assert max(latencies) < 2.5, report
    assert statistics.median(latencies) < 0.5, report
    # Memory: two hashing threads of 19 MiB each, bounded queues; generous head-room.
    assert peak - baseline < 200 * 1024, report
    assert_serving(quiet_hub)
    assert request(quiet_hub, "GET", "/api/", token=quiet_hub.token).status == 200
