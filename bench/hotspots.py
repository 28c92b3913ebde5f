"""For each missed target, say where the time (or memory) goes, in the case's note.

REST and WebSocket cases: a fresh hub with the case's configuration, and then the ceiling, run
under cProfile (bench.profiler: event-loop thread only, switched on after a warm-up) while the
case's load runs; the note gives the busy µs per request of both and where Hearth spends more,
by area and by function. Start-up: `python -X importtime`, summed by
top-level package. Memory: the resident size after importing each dependency in turn.
"""

from __future__ import annotations

import re
import signal
import subprocess
from collections import Counter
from dataclasses import dataclass

from bench import cases_ws, features, procs, profiler
from bench.alternate import Endpoint
from bench.cases_http import FLOOD_SOURCES
from bench.context import Bench
from bench.hub import Hub, tampered
from bench.procs import LOOPBACK_V4, LOOPBACK_V6
from bench.results import CaseResult

# What `hearth run` imports, for the start-up and memory breakdowns.
HUB_MODULES = ("hearth.cli", "hearth.bootstrap", "hearth.http.server", "hearth.api",
               "hearth.websocket")  # fmt: skip
MEMORY_STEPS = ("asyncio", "orjson", "yaml", "pydantic", "aiohttp.web", "cryptography.x509",
                "jwt", "argon2", "zxcvbn", "pyotp", "segno", *HUB_MODULES)  # fmt: skip


@dataclass(frozen=True)
class Recipe:
    """How to rebuild a case's hub and load, for Hearth and for the ceiling."""

    path: str = "/api/"
    ceiling_path: str = "/api/"
    expect: int = 200
    host: str = LOOPBACK_V4
    sources: int = 0
    websocket: bool = False
    large: bool = False
    flood: bool = False
    ban_loopback_v6: bool = False
    many_bans: bool = False

    def load(self, bench: Bench, port: int, *, ceiling: bool, warm_up: bool = False) -> int:
        """Run the case's load once against `port`; how many operations were done."""
        s = bench.settings
        if self.websocket:
            count = s.ws_pipelined // 4 if warm_up else s.ws_pipelined
            cases_ws.run_client(bench, port, "ping", count, s.ws_inflight)
            return count
        token = tampered(bench.token) if self.expect == 401 else bench.token
        headers = {"Authorization": f"Bearer {token}"}  # the same request bytes for both
        path = self.ceiling_path if ceiling else self.path
        endpoint = Endpoint("profiled", self.host, port, path, self.expect, headers, self.sources)
        return endpoint.run(1 if warm_up else s.seconds, bench.pinning).requests


RECIPES = {
    "api": Recipe(),
    "states_small": Recipe("/api/states", "/api/states"),
    "states_large": Recipe("/api/states", "/ceiling/states-large", large=True),
    "invalid_token": Recipe(
        ceiling_path="/ceiling/401", expect=401, sources=FLOOD_SOURCES, flood=True
    ),
    "banned": Recipe(
        ceiling_path="/ceiling/403", expect=403, host=LOOPBACK_V6, ban_loopback_v6=True
    ),
    "many_bans": Recipe(many_bans=True),
    "ws_ping_pipelined": Recipe(websocket=True),
}


def _profiled(bench: Bench, key: str, recipe: Recipe) -> profiler.Profile:
    """Hearth, rebuilt with the case's configuration, profiled under the case's load."""
    from bench.runner import flood_config

    s = bench.settings
    entities = s.entities_large if recipe.large else s.entities_small
    hub = Hub.prepare(
        bench.template, bench.root, f"profile-{key}", entities,
        flood_config() if recipe.flood else "",
    )  # fmt: skip
    if recipe.ban_loopback_v6:
        features.ban_with_cli(hub.config_dir, LOOPBACK_V6)
    if recipe.many_bans:
        features.store_bans(hub.config_dir, features.ban_clients(s.bans))
    output = bench.root / f"profile-{key}.prof"
    hub.spawn(
        bench.pinning,
        procs.python_command("-m", "bench.profiler", str(output), str(hub.config_dir)),
    )
    try:
        hub.ready()
        recipe.load(bench, hub.port, ceiling=False, warm_up=True)
        hub.signal(signal.SIGUSR1)
        operations = recipe.load(bench, hub.port, ceiling=False)
    finally:
        hub.stop()
    return profiler.Profile(output, operations)


def _profiled_ceiling(bench: Bench, key: str, recipe: Recipe) -> profiler.Profile:
    """The ceiling, profiled under the same load."""
    output = bench.root / f"profile-{key}-ceiling.prof"
    port = procs.free_port()
    fixtures = bench.root / "fixtures"
    command = procs.python_command(
        "-m", "bench.profiler", str(output), "--module", "bench.ceiling", str(port), str(fixtures)
    )
    log = bench.root / f"profile-{key}-ceiling.log"
    process = procs.start(command, log, cwd=procs.REPO, pinning=bench.pinning)
    try:
        procs.wait_port(process, port, log, timeout=30)
        recipe.load(bench, port, ceiling=True, warm_up=True)
        process.send_signal(signal.SIGUSR1)
        operations = recipe.load(bench, port, ceiling=True)
    finally:
        procs.stop(process)
    return profiler.Profile(output, operations)


def profile_case(bench: Bench, key: str, recipe: Recipe) -> str:
    """Where Hearth spends more time per request than the ceiling under the case's load."""
    ours, ceiling = _profiled(bench, key, recipe), _profiled_ceiling(bench, key, recipe)
    return profiler.difference(ours, ceiling, "ping" if recipe.websocket else "request")


def import_times() -> str:
    """Import time of what `hearth run` loads, by top-level package (ms, self time summed)."""
    done = subprocess.run(
        procs.python_command("-X", "importtime", "-c", "import " + ", ".join(HUB_MODULES)),
        capture_output=True, text=True, cwd=procs.REPO, env=procs.clean_env(), check=False,
    )  # fmt: skip
    by_package: Counter[str] = Counter()
    for match in re.finditer(r"import time:\s+(\d+) \|\s+\d+ \|\s+(\S+)", done.stderr):
        by_package[match.group(2).split(".")[0]] += int(match.group(1))
    total = sum(by_package.values())
    top = ", ".join(f"{name} {us / 1000:.0f} ms" for name, us in by_package.most_common(6))
    return f"imports take {total / 1000:.0f} ms: {top}"


def memory_steps() -> str:
    """Resident size added by importing each dependency in turn (MiB)."""
    code = (
        "import importlib, os, sys\n"
        "def rss():\n"
        "    for line in open(f'/proc/{os.getpid()}/status'):\n"
        "        if line.startswith('VmRSS'): return int(line.split()[1]) / 1024\n"
        "print('python', rss())\n"
        "for name in sys.argv[1:]:\n"
        "    importlib.import_module(name); print(name, rss())\n"
    )
    done = subprocess.run(
        procs.python_command("-c", code, *MEMORY_STEPS),
        capture_output=True, text=True, cwd=procs.REPO, env=procs.clean_env(), check=False,
    )  # fmt: skip
    steps, previous, parts = done.stdout.split("\n"), 0.0, []
    for line in steps:
        if not line.strip():
            continue
        name, value = line.rsplit(" ", 1)
        size = float(value)
        if name == "python":
            parts.append(f"interpreter {size:.0f}")
        elif size - previous >= 1:
            parts.append(f"{name} +{size - previous:.0f}")
        previous = size
    return "MiB after each import: " + ", ".join(parts)


def explain(bench: Bench, results: list[CaseResult]) -> None:
    """Add a where-the-time-goes note to every missed target that has a recipe."""
    for result in results:
        if result.met is not False:
            continue
        try:
            if result.key in RECIPES:
                where = profile_case(bench, result.key, RECIPES[result.key])
                text = f"profile (cProfile, event-loop thread): {where}"
            elif result.key == "startup":
                text = import_times()
            elif result.key == "rss_start":
                text = memory_steps()
            else:
                continue
        except Exception as err:  # the measurement stands without its explanation
            text = f"profiling failed: {type(err).__name__}: {err}"
        result.details["where"] = text
        result.note = f"{result.note}; {text}" if result.note else text
