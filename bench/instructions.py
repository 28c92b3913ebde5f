"""Instructions per request, counted by callgrind: exact, and blind to other processes.

`python -m bench.instructions [--only api,states,...] [--requests N]` starts the main hub and
the flood hub (as `make bench` configures them) and the ceiling, each under
`valgrind --tool=callgrind` with instrumentation off until the hub answers, then for each case
switches counting on, warms up, zeroes the counters, sends a fixed number of requests (one
kept-alive connection, one request in flight; the 401 flood over many client addresses) and
dumps. Work the process does on its own timers while the load runs is measured with no load
for as long and subtracted. The ratio is ceiling instructions ÷ Hearth instructions (higher is
better, as in the table). Kernel time (system calls) is not counted, only user space: what the
Python code does. On a machine shared with other work, wall-clock ratios move by tens of percent
from one run to the next; these counts move by about one percent.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import re
import socket
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import features, procs, wsclient
from bench.httpload import source_addresses
from bench.hub import Hub, Template, tampered
from bench.procs import LOOPBACK_V4, LOOPBACK_V6
from bench.runner import flood_config

READY_TIMEOUT = 300.0  # seconds: start-up under valgrind is slow
FLOOD_SOURCES = 50
_LENGTH = re.compile(rb"\r\ncontent-length: *(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class Server:
    """A process under callgrind, driven through vgdb."""

    process: subprocess.Popen[bytes]
    port: int
    prefix: Path  # vgdb's FIFO prefix, one per process
    out: Path  # callgrind's output files start with this

    def control(self, *args: str) -> None:
        """Run callgrind_control on this process."""
        subprocess.run(
            ["callgrind_control", f"--vgdb-prefix={self.prefix}", *args, str(self.process.pid)],
            capture_output=True, check=True, timeout=120,
        )  # fmt: skip

    def count(self, work: Callable[[], object]) -> tuple[int, float]:
        """User-space instructions the process executed while `work` ran, and the seconds."""
        self.control("-z")
        began = time.monotonic()
        work()
        elapsed = time.monotonic() - began
        return self.dump(), elapsed

    def dump(self) -> int:
        """Instructions counted since the start or the last zeroing."""
        before = set(self.out.parent.glob(self.out.name + "*"))
        self.control("-d")
        for _ in range(200):
            dumps = set(self.out.parent.glob(self.out.name + "*")) - before
            for path in dumps:
                match = re.search(r"^summary: (\d+)", path.read_text("utf-8", "replace"), re.M)
                if match:
                    path.unlink()
                    return int(match.group(1))
            time.sleep(0.05)
        raise RuntimeError("callgrind wrote no dump")

    def net_count(self, work: Callable[[], object]) -> int:
        """Instructions for `work`, minus what the process does on its own for as long."""
        busy, seconds = self.count(work)
        idle, idle_seconds = self.count(lambda: time.sleep(seconds))
        return busy - int(idle * seconds / max(idle_seconds, 1e-3))


def under_callgrind(
    command: list[str], root: Path, name: str, *, from_start: bool = False
) -> tuple[list[str], Path, Path]:
    """`command` under callgrind with instrumentation off until switched on (or `from_start`)."""
    prefix, out = root / f"vgdb-{name}", root / f"callgrind-{name}.out"
    # The venv's python links to the interpreter itself (a pyenv shim would be a script, which
    # callgrind would follow no further than the shell).
    wrapped = [
        "valgrind", "--tool=callgrind", f"--instr-atstart={'yes' if from_start else 'no'}",
        f"--vgdb-prefix={prefix}",
        f"--callgrind-out-file={out}.%p", *command,
    ]  # fmt: skip
    return wrapped, prefix, out


def start_hub(hub: Hub, root: Path) -> Server:
    """`hearth run` for a prepared hub, under callgrind, once it answers."""
    command = procs.python_command("-m", "hearth", "-c", str(hub.config_dir), "run", "--allow-root")
    wrapped, prefix, out = under_callgrind(command, root, hub.name)
    hub.process = procs.start(wrapped, hub.log, cwd=hub.config_dir.parent)
    hub.began = time.perf_counter()
    wait_http(hub.process, hub.port, hub.log)
    return Server(hub.process, hub.port, prefix, out)


def startup(template: Template, root: Path) -> int:
    """Instructions from exec to the first 200 for an authenticated GET /api/."""
    hub = Hub.prepare(template, root, "startup", 200)
    command = procs.python_command("-m", "hearth", "-c", str(hub.config_dir), "run", "--allow-root")
    wrapped, prefix, out = under_callgrind(command, root, hub.name, from_start=True)
    hub.process = procs.start(wrapped, hub.log, cwd=hub.config_dir.parent)
    server = Server(hub.process, hub.port, prefix, out)
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            try:
                if hub.get("/api/", token=template.token).status == 200:
                    return server.dump()
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"the hub did not answer in {READY_TIMEOUT}s:\n{procs.tail(hub.log)}")
    finally:
        hub.stop()


def start_ceiling(root: Path, fixtures: Path) -> Server:
    """The bare aiohttp app serving `fixtures`, under callgrind."""
    port = procs.free_port()
    command = procs.python_command("-m", "bench.ceiling", str(port), str(fixtures))
    wrapped, prefix, out = under_callgrind(command, root, "ceiling")
    process = procs.start(wrapped, root / "ceiling.log", cwd=procs.REPO)
    wait_http(process, port, root / "ceiling.log")
    return Server(process, port, prefix, out)


def wait_http(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    """Until something answers HTTP on the port."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"exited:\n{procs.tail(log)}")
        if procs.port_open(LOOPBACK_V4, port):
            return
        time.sleep(0.2)
    raise RuntimeError(f"no answer on port {port} in {READY_TIMEOUT}s")


def http_request(path: str, host: str, port: int, token: str | None) -> bytes:
    """The request bytes, as wrk sends them."""
    netloc = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return f"GET {path} HTTP/1.1\r\nHost: {netloc}\r\n{auth}\r\n".encode()


def keep_alive(host: str, port: int, request: bytes, count: int, sources: int = 0) -> Counter[int]:
    """`count` requests, one in flight, on one kept-alive connection per source address."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    conns = []
    for source in source_addresses(sources) if sources else [None]:
        sock = socket.socket(family, socket.SOCK_STREAM)
        if source is not None:
            sock.bind((source, 0))
        sock.connect((host, port))
        conns.append((sock, bytearray()))
    statuses: Counter[int] = Counter()
    try:
        for number in range(count):
            sock, buf = conns[number % len(conns)]
            sock.sendall(request)
            statuses[_response(sock, buf)] += 1
    finally:
        for sock, _ in conns:
            sock.close()
    return statuses


def _response(sock: socket.socket, buf: bytearray) -> int:
    while True:
        end = buf.find(b"\r\n\r\n")
        if end >= 0:
            length = _LENGTH.search(buf, 0, end + 2)
            total = end + 4 + (int(length.group(1)) if length else 0)
            if len(buf) >= total:
                status = int(buf[9:12])
                del buf[:total]
                return status
        data = sock.recv(65536)
        if not data:
            raise ConnectionError("closed by the server")
        buf += data


@dataclass(frozen=True)
class Load:
    """One case: what to send, to which hub, and what the ceiling's route is."""

    key: str
    hub: str  # "main" or "flood"
    path: str = "/api/"
    ceiling_path: str = "/api/"
    forged: bool = False  # a token with a valid shape and a wrong signature
    host: str = LOOPBACK_V4
    sources: int = 0
    websocket: str = ""  # ping or get_states
    inflight: int = 1


LOADS = (
    Load("api", "main"),
    Load("states", "main", "/api/states", "/api/states"),
    Load("invalid_token", "flood", ceiling_path="/ceiling/401", forged=True,
         sources=FLOOD_SOURCES),
    Load("banned", "main", ceiling_path="/ceiling/403", host=LOOPBACK_V6),
    Load("ws_ping", "main", websocket="ping"),
    Load("ws_ping_pipelined", "main", websocket="ping", inflight=100),
    Load("ws_get_states", "main", websocket="get_states"),
)  # fmt: skip


def run_load(load: Load, server: Server, token: str, count: int, *, ceiling: bool) -> object:
    """Send the load once; raises when an answer has the wrong status."""
    if load.websocket == "ping":
        return asyncio.run(wsclient.ping(LOOPBACK_V4, server.port, token, count, load.inflight))
    if load.websocket:
        return asyncio.run(wsclient.get_states(LOOPBACK_V4, server.port, token, count))
    sent = tampered(token) if load.forged else token
    path = load.ceiling_path if ceiling else load.path
    host = LOOPBACK_V4 if ceiling else load.host
    statuses = keep_alive(
        host, server.port, http_request(path, host, server.port, sent), count, load.sources
    )
    expected = 401 if load.forged else 403 if load.host == LOOPBACK_V6 else 200
    if set(statuses) != {expected}:
        raise RuntimeError(f"{load.key}: statuses {dict(statuses)}, expected {expected}")
    return statuses


def per_request(load: Load, server: Server, token: str, count: int, *, ceiling: bool) -> int:
    """Instructions per request of one server under one load, after a warm-up."""
    run_load(load, server, token, max(count // 10, 20), ceiling=ceiling)
    work = functools.partial(run_load, load, server, token, count, ceiling=ceiling)
    return server.net_count(work) // count


def capture(hubs: dict[str, Hub], token: str, root: Path) -> Path:
    """The ceiling's fixtures: Hearth's own bodies for each route."""
    from bench.context import Bench

    main, flood = hubs["main"], hubs["flood"]
    routes = {
        "/api/": (200, main.get("/api/", token=token).body),
        "/api/states": (200, main.get("/api/states", token=token).body),
        "/ceiling/401": (401, flood.get("/api/", token=tampered(token)).body),
        "/ceiling/403": (403, main.get("/api/", token=token, host=LOOPBACK_V6).body),
    }
    extras = {"states.json": routes["/api/states"][1], "event.json": b"{}"}
    fixtures = root / "fixtures"
    fixtures.mkdir()
    Bench.write_fixtures(fixtures, routes, extras)
    return fixtures


def measure(only: set[str] | None, count: int) -> list[tuple[str, int, int]]:
    """(case, Hearth instructions per request, ceiling instructions per request)."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="hearth-instructions-") as tmp:
        root = Path(tmp)
        template = Template.create(root)
        if only is None or "startup" in only:
            rows.append(("startup", startup(template, root), 0))
        if only is not None and not only - {"startup"}:
            return rows
        hubs = {
            "main": Hub.prepare(template, root, "main", 200),
            "flood": Hub.prepare(template, root, "flood", 200, flood_config()),
        }
        if features.has_bans():
            features.ban_with_cli(hubs["main"].config_dir, LOOPBACK_V6)
        servers: dict[str, Server] = {}
        try:
            for name, hub in hubs.items():
                servers[name] = start_hub(hub, root)
            servers["ceiling"] = start_ceiling(root, capture(hubs, template.token, root))
            for server in servers.values():
                server.control("-i", "on")
            for load in LOADS:
                if only is not None and load.key not in only:
                    continue
                ours = per_request(load, servers[load.hub], template.token, count, ceiling=False)
                theirs = per_request(load, servers["ceiling"], template.token, count, ceiling=True)
                rows.append((load.key, ours, theirs))
        finally:
            for hub in hubs.values():
                hub.stop()
            if "ceiling" in servers:
                procs.stop(servers["ceiling"].process)
    return rows


def main() -> None:
    """Parse the options, count, print."""
    parser = argparse.ArgumentParser(prog="python -m bench.instructions", description=__doc__)
    keys = ",".join(["startup", *(load.key for load in LOADS)])
    parser.add_argument("--only", help=f"comma-separated case keys: {keys}")
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    only = set(args.only.split(",")) if args.only else None
    rows = measure(only, args.requests)
    print(f"{'case':<20} {'Hearth':>12} {'ceiling':>12} {'ratio':>6}   (instructions per request)")
    for key, ours, theirs in rows:
        if not theirs:  # start-up: the whole process until it answers
            print(f"{key:<20} {ours:>12,} {'—':>12} {'—':>6}   (instructions until the first 200)")
            continue
        print(f"{key:<20} {ours:>12,} {theirs:>12,} {theirs / max(ours, 1):>6.2f}")


if __name__ == "__main__":
    main()
