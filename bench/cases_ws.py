"""WebSocket cases: ping round trips, get_states latency, state_changed fan-out."""

from __future__ import annotations

import subprocess
from typing import Any

import orjson

from bench import alternate, procs
from bench.context import MAIN, Bench, Case
from bench.procs import LOOPBACK_V4
from bench.results import CaseResult, Target, median

CLIENT_TIMEOUT = 300.0


def client(bench: Bench, target: str, mode: str, *args: int) -> dict[str, Any]:
    """Run the light WebSocket client once (on the client CPU) against Hearth or the ceiling."""
    port = bench.hub(MAIN).port if target == "hearth" else bench.ceiling_port
    return run_client(bench, port, mode, *args)


def run_client(bench: Bench, port: int, mode: str, *args: int) -> dict[str, Any]:
    """Run the light WebSocket client once against a port; its JSON result."""
    command = procs.python_command(
        "-m", "bench.wsclient", mode, LOOPBACK_V4, str(port), bench.token,
        *(str(arg) for arg in args),
    )  # fmt: skip
    done = subprocess.run(
        command,
        capture_output=True,
        cwd=procs.REPO,
        env=procs.clean_env(),
        timeout=CLIENT_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"wsclient {mode} against port {port}: {done.stderr.decode()[-800:]}")
    result: dict[str, Any] = orjson.loads(done.stdout.splitlines()[-1])
    return result


def _alternate(
    bench: Bench, result: CaseResult, mode: str, *args: int, key: str = "rate"
) -> dict[str, list[dict[str, Any]]]:
    if bench.settings.warmup:
        for target in ("ceiling", "hearth"):
            client(bench, target, mode, *args)
    runs = alternate.rounds(
        ["ceiling", "hearth"], bench.settings, lambda target: client(bench, target, mode, *args)
    )
    ours, theirs = [r[key] for r in runs["hearth"]], [r[key] for r in runs["ceiling"]]
    if key == "median_ms":  # a latency: the ratio is still "speed relative to the ceiling"
        result.hearth, result.ceiling = ours, theirs
        result.ratios = [c / h for h, c in zip(ours, theirs, strict=True) if h > 0]
    else:
        alternate.paired(result, ours, theirs)
    cpu = [r["client_cpu"] for r in runs["hearth"] + runs["ceiling"] if "client_cpu" in r]
    if cpu:
        result.details["client_cpu_max"] = max(cpu)
    return runs


def ping_sequential(bench: Bench, result: CaseResult) -> None:
    """One ping at a time on one connection."""
    runs = _alternate(bench, result, "ping", bench.settings.ws_sequential, 1)
    latency = median([r["median_ms"] for r in runs["hearth"]])
    result.details["median_round_trip_ms"] = latency
    result.note = f"median round trip {latency * 1000:.0f} µs"


def ping_pipelined(bench: Bench, result: CaseResult) -> None:
    """Many pings in flight on one connection."""
    settings = bench.settings
    _alternate(bench, result, "ping", settings.ws_pipelined, settings.ws_inflight)


def get_states(bench: Bench, result: CaseResult) -> None:
    """Sequential get_states: latency of the whole state list."""
    runs = _alternate(bench, result, "get_states", bench.settings.get_states, key="median_ms")
    size = runs["hearth"][-1]["bytes"]
    result.note = f"{size / 1024:.0f} KiB per reply; ratio = ceiling latency ÷ Hearth latency"


def fanout(bench: Bench, result: CaseResult) -> None:
    """state_changed events delivered per second to many subscribed connections."""
    settings = bench.settings
    _alternate(bench, result, "fanout", settings.fanout_changes, settings.fanout_subscribers)
    result.note = "one light toggled via call_service, ≤ 10 changes undelivered at a time"


CASES = (
    Case("ws_ping", "5. WS ping, sequential", "pings/s", ping_sequential),
    Case(
        "ws_ping_pipelined", "5. WS ping, {ws_inflight} in flight", "pings/s", ping_pipelined,
        Target("ratio_min", 0.95, "≥ 0.95 ×"), "0.84 ×",
    ),
    Case(
        "ws_get_states", "5. WS get_states, {entities_small} entities", "ms", get_states,
        Target("ratio_min", 0.9, "≥ 0.9 ×"),
    ),
    Case(
        "ws_fanout", "5. WS state_changed fan-out to {fanout_subscribers} connections",
        "events/s", fanout,
    ),
)  # fmt: skip
