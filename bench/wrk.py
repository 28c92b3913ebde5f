"""HTTP load from wrk: one thread, a fixed number of kept-alive connections, on the client CPU."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass

from bench.procs import Pinning

THREADS = 1
CONNECTIONS = 50

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass(frozen=True)
class WrkResult:
    """What one wrk run measured."""

    requests_per_second: float
    requests: int
    non_2xx: int
    socket_errors: int
    p50_ms: float
    p99_ms: float


def available() -> str | None:
    """The wrk executable, if installed."""
    return shutil.which("wrk")


def settings() -> str:
    """The generator settings, for the report."""
    return f"wrk -t{THREADS} -c{CONNECTIONS} (kept-alive connections, one client thread)"


def run(
    url: str,
    seconds: float,
    pinning: Pinning,
    *,
    headers: dict[str, str] | None = None,
    connections: int = CONNECTIONS,
) -> WrkResult:
    """Run wrk against `url` for `seconds` and parse its summary."""
    exe = available()
    if exe is None:
        raise RuntimeError("wrk is not installed (make bench installs it from Debian)")
    duration = f"{max(1, round(seconds))}s"  # wrk takes whole seconds only
    command = [
        *pinning.client_prefix(),
        exe,
        f"-t{THREADS}",
        f"-c{connections}",
        f"-d{duration}",
        "--latency",
        "--timeout",
        "5s",
    ]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    command.append(url)
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 30, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()}")
    return parse(done.stdout)


def parse(output: str) -> WrkResult:
    """Parse wrk's text summary."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    if rps is None or total is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return WrkResult(
        requests_per_second=float(rps.group(1)),
        requests=int(total.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in errors.groups()) if errors else 0,
        p50_ms=_percentile(output, "50%"),
        p99_ms=_percentile(output, "99%"),
    )


def _percentile(output: str, label: str) -> float:
    match = re.search(rf"^\s+{re.escape(label)}\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
    if match is None:
        return float("nan")
    return float(match.group(1)) * _UNITS[match.group(2)]
