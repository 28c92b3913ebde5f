"""Helpers to run the real hub (`python -m hearth`) as separate processes on free ports."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

PASSWORD = "correct-horse-battery-staple-42"
USERNAME = "admin"
HOST = "127.0.0.1"
START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0
CLI_TIMEOUT = 30.0
# `hearth run` as these tests start it. The suite runs as root, and a hub started as root needs
# either a user to switch to or --allow-root (as in a container); test_privileges.py covers the
# switch and the refusal, every other test keeps the hub root explicitly.
RUN = ("run", "--allow-root")
LOG_SETTLE = 0.1  # the log file unchanged this long: the hub's logging thread has caught up
LOG_SETTLE_MAX = 2.0

# Lines that betray an unhandled error or a 500 somewhere in the server.
_BAD_LOG = re.compile(r"Traceback|Error handling request|Unhandled error|Internal error|\" 500 ")


# Ports handed to servers that tests start come from below the kernel's ephemeral range
# (32768-60999 on Linux), so an outgoing connection can never take one between the pick and the
# server's bind, and each pytest-xdist worker has its own slice, so two workers never pick the
# same port. Within a worker the ports are handed out in turn, so two picks never collide either.
_PORT_BASE = 10000
_PORT_SLICE = 2800  # eight workers fit below 32768


def _port_slice() -> range:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    index = int(worker) % 8 if worker.isdigit() else 0
    start = _PORT_BASE + index * _PORT_SLICE
    return range(start, start + _PORT_SLICE)


_PORTS = _port_slice()
_next_port = [random.randrange(len(_PORTS))]


def _bindable(port: int) -> bool:
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        with socket.socket(socket.AF_INET, kind) as sock:
            try:
                sock.bind((HOST, port))
            except OSError:
                return False
    return True


def free_port() -> int:
    """A port on 127.0.0.1 (TCP and UDP) that nothing uses now and no other test will be given."""
    for _ in range(len(_PORTS)):
        port = _PORTS[_next_port[0] % len(_PORTS)]
        _next_port[0] += 1
        if _bindable(port):
            return port
    raise RuntimeError(f"no free port in {_PORTS}")


def start_user_add(
    config_dir: Path, username: str, *, output: int = subprocess.PIPE
) -> subprocess.Popen[str]:
    """`hearth user add USERNAME --password-stdin` started (PASSWORD already written), not
    awaited: for tests that race it against something. `output` is where stdout and stderr go."""
    process = subprocess.Popen(
        [sys.executable, "-m", "hearth", "-c", str(config_dir), "user", "add", username,
         "--password-stdin"],
        stdin=subprocess.PIPE, stdout=output, stderr=output, text=True, env=hub_env(),
    )  # fmt: skip
    assert process.stdin is not None
    process.stdin.write(PASSWORD + "\n")
    process.stdin.close()
    return process


async def tls_closed() -> None:
    """A moment for the TLS connections just closed to finish their close_notify exchange.

    aiohttp's advice for a loop about to end: without it the socket under a TLS connection
    is left to the garbage collector, and its ResourceWarning fails whichever test runs then.
    """
    await asyncio.sleep(0.25)


def port_open(port: int) -> bool:
    """Tell whether something accepts TCP connections on 127.0.0.1:port."""
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


def hub_env() -> dict[str, str]:
    """Environment for hub processes: ours minus anything that could steer the hub."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTH")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def hearth(
    config_dir: Path, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run one `python -m hearth -c DIR ...` CLI command to completion."""
    return subprocess.run(
        [sys.executable, "-m", "hearth", "-c", str(config_dir), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        env=hub_env(),
        cwd=config_dir.parent,
        check=False,
    )


def write_config(config_dir: Path, port: int, extra: str = "", http_extra: str = "") -> None:
    """Write a configuration.yaml for a demo hub listening on 127.0.0.1:port only.

    `extra` is appended at the top level; `http_extra` inside `http:` (lines indented two spaces).
    """
    config_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    (config_dir / "configuration.yaml").write_text(
        "homeassistant:\n"
        "  name: Acceptance Home\n"
        "  latitude: 52.37\n"
        "  longitude: 4.89\n"
        "  time_zone: Europe/Amsterdam\n"
        "http:\n"
        f"  server_host: [{HOST!r}]\n"
        f"  server_port: {port}\n" + http_extra + "demo:\n"
        "  lights: 3\n"
        "  switches: 2\n"
        "  sensors: 2\n"
        "  sensor_interval: 0.5\n" + extra,
        encoding="utf-8",
    )


def create_user(config_dir: Path, username: str = USERNAME, *, admin: bool = True) -> None:
    """Create a user through the CLI, the password on stdin."""
    flags = ["--admin"] if admin else []
    added = hearth(
        config_dir, "user", "add", username, *flags, "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert added.returncode == 0, f"user add failed: {added.stderr}"
    assert PASSWORD not in added.stdout + added.stderr


def create_token(config_dir: Path, username: str = USERNAME, name: str = "acceptance") -> str:
    """Create a long-lived token through the CLI; stdout must be the token alone."""
    created = hearth(config_dir, "token", "create", username, "--name", name)
    assert created.returncode == 0, f"token create failed: {created.stderr}"
    lines = created.stdout.splitlines()
    assert len(lines) == 1, "token create must print only the token on stdout"
    token = lines[0].strip()
    assert token, "token create printed an empty token"
    assert token not in created.stderr
    return token


@dataclass
class RunningHub:
    """A hub process started by the tests, and how to reach it."""

    config_dir: Path
    port: int
    token: str
    process: subprocess.Popen[bytes]
    log_path: Path
    stopped: bool = field(default=False)

    @property
    def base_url(self) -> str:
        """HTTP base URL, without a trailing slash."""
        return f"http://{HOST}:{self.port}"

    @property
    def ws_url(self) -> str:
        """WebSocket API URL."""
        return f"ws://{HOST}:{self.port}/api/websocket"

    def log(self) -> str:
        """Everything the hub wrote to stdout and stderr so far.

        The hub logs from a thread of its own (so that stderr never stalls its event loop):
        wait, bounded, until the file stops growing, so that lines of what just happened are in.
        """
        deadline = time.monotonic() + LOG_SETTLE_MAX
        size = -1
        while time.monotonic() < deadline:
            now = self.log_path.stat().st_size if self.log_path.exists() else 0
            if now == size:
                break
            size = now
            time.sleep(LOG_SETTLE)
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> int:
        """Send `sig` and return the exit code; fail if it does not exit in time."""
        self.stopped = True
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT)
            pytest.fail(f"hub did not exit within {STOP_TIMEOUT}s of {sig.name}:\n{self.log()}")

    def assert_clean_log(self) -> None:
        """Fail if the hub logged a traceback, an unhandled error or a 500."""
        bad = [line for line in self.log().splitlines() if _BAD_LOG.search(line)]
        assert not bad, "hub logged errors:\n" + self.log()


HubFactory = Callable[..., RunningHub]


def start_hub(config_dir: Path, port: int, log_path: Path) -> subprocess.Popen[bytes]:
    """Start `python -m hearth -c DIR run` with stdout+stderr going to log_path."""
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "hearth", "-c", str(config_dir), *RUN],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=hub_env(),
            cwd=config_dir.parent,
        )


def wait_listening(process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    """Wait (bounded) until the hub accepts connections; fail with its output if it does not."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = log_path.read_text(encoding="utf-8", errors="replace")
            pytest.fail(f"hub exited with {process.returncode} before listening:\n{output}")
        if port_open(port):
            return
        time.sleep(0.1)
    process.kill()
    process.wait(timeout=STOP_TIMEOUT)
    output = log_path.read_text(encoding="utf-8", errors="replace")
    pytest.fail(f"hub did not listen on {HOST}:{port} within {START_TIMEOUT}s:\n{output}")


@dataclass
class HttpReply:
    """One HTTP response as seen on the wire."""

    status: int
    headers: dict[str, str]  # lower-cased names; repeated headers joined with ", "
    body: bytes

    def json(self) -> Any:
        """Decode the body as JSON, failing loudly when it is not JSON."""
        assert self.headers.get("content-type", "").startswith("application/json"), self
        return json.loads(self.body)


def request(
    hub: RunningHub,
    method: str,
    path: str,
    *,
    token: str | None = None,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    source: str | None = None,
) -> HttpReply:
    """Make one HTTP request with the stdlib client (what curl would do); never a 500.

    `source` picks the loopback address the request comes from (127.0.0.0/8 is all local).
    """
    bind = (source, 0) if source is not None else None
    conn = http.client.HTTPConnection(HOST, hub.port, timeout=10, source_address=bind)
    try:
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        if body is not None:
            sent.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=body, headers=sent)
        resp = conn.getresponse()
        reply = HttpReply(resp.status, _header_map(resp.getheaders()), resp.read())
    finally:
        conn.close()
    assert reply.status < 500, f"{method} {path} -> {reply}"
    return reply


def _header_map(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Lower-case header names, joining repeats."""
    merged: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        merged[key] = f"{merged[key]}, {value}" if key in merged else value
    return merged


def raw_exchange(port: int, data: bytes, timeout: float = 5.0) -> HttpReply:
    """Send raw bytes on a fresh TCP connection and parse the first HTTP response."""
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        sock.sendall(data)
        received = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            received += chunk
            if _complete(received):
                break
    assert received, f"no response to {data[:80]!r}"
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    version, status, *_ = status_line.split(" ", 2)
    assert version.startswith("HTTP/1."), status_line
    pairs = []
    for line in header_lines:
        name, _, value = line.partition(":")
        pairs.append((name.strip(), value.strip()))
    return HttpReply(int(status), _header_map(pairs), body)


def _complete(received: bytes) -> bool:
    """Tell whether a whole response (with Content-Length, or a 101) has arrived."""
    head, sep, body = received.partition(b"\r\n\r\n")
    if not sep:
        return False
    if head.startswith(b"HTTP/1.1 101 "):
        return True  # switched protocols: no HTTP body follows
    match = re.search(rb"(?im)^content-length:\s*(\d+)\s*$", head)
    return match is not None and len(body) >= int(match.group(1))


def assert_no_banner(reply: HttpReply) -> None:
    """The response must not name the server software or its version."""
    # An empty Server header names nothing, so it is allowed; any value is not.
    server = reply.headers.get("server", "")
    assert not server.strip(), f"Server header names software: {server!r}"
    for name in ("x-powered-by", "via"):
        assert name not in reply.headers, f"{name} header present: {reply.headers[name]!r}"


def assert_error_shape(reply: HttpReply, status: int) -> str:
    """An application error: the given status, JSON {"message": <non-empty str>}; returns it."""
    assert reply.status == status, reply
    data = reply.json()
    assert isinstance(data, dict), data
    assert isinstance(data.get("message"), str), data
    assert data["message"], data
    assert "Traceback" not in data["message"]
    return data["message"]


def tampered(token: str) -> str:
    """The token with one character changed well inside it (not in base64 padding bits)."""
    index = len(token) // 2
    replacement = "B" if token[index] == "A" else "A"
    return token[:index] + replacement + token[index + 1 :]


def assert_serving(hub: RunningHub) -> None:
    """The hub still answers an authenticated request normally."""
    assert hub.process.poll() is None, hub.log()
    reply = request(hub, "GET", "/api/", token=hub.token)
    assert reply.status == 200, reply
    assert reply.json() == {"message": "API running."}
