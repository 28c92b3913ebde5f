"""Storage faults against the running hub (issue 10.3, 10.6, 10.11).

A full disk and a database locked by another process: reads, token checks and WebSocket auth keep
working, a change that cannot be stored is a 503 (WebSocket: `storage_full` / `storage_busy`)
with one log line, the event loop keeps answering meanwhile, and the hub recovers without a
restart. At start, a storage error is one line and exit code 1.
"""

from __future__ import annotations

import asyncio
import errno
import http.client
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.acceptance.support import (
    CLI_TIMEOUT,
    HOST,
    RUN,
    USERNAME,
    HttpReply,
    HubFactory,
    RunningHub,
    free_port,
    hub_env,
    request,
    start_hub,
    wait_listening,
    write_config,
)
from tests.acceptance.support_login import frontend_client, log_in
from tests.acceptance.support_ws import ws_auth, ws_result

pytestmark = pytest.mark.acceptance

STORAGE_LINE = "Cannot write hearth.db"
DISK_SIZE = "8m"


def exchange_reply(hub: RunningHub, code: str) -> HttpReply:
    """POST /auth/token for a code (the write of a new session); a 503 is allowed here."""
    client_id, _ = frontend_client(hub)
    fields = {"grant_type": "authorization_code", "client_id": client_id, "code": code}
    conn = http.client.HTTPConnection(HOST, hub.port, timeout=30)
    try:
        conn.request(
            "POST",
            "/auth/token",
            body=urllib.parse.urlencode(fields).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        resp = conn.getresponse()
        headers = {name.lower(): value for name, value in resp.getheaders()}
        reply = HttpReply(resp.status, headers, resp.read())
    finally:
        conn.close()
    assert reply.status in (200, 503), reply
    return reply


def wait_log(hub: RunningHub, text: str, timeout: float = 10.0) -> None:
    """Log lines are written from a thread of their own: wait (bounded) for one."""
    deadline = time.monotonic() + timeout
    while text not in hub.log():
        assert time.monotonic() < deadline, f"{text!r} never logged:\n{hub.log()}"
        time.sleep(0.05)


async def ws_session(hub: RunningHub, commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Authenticate, run commands one after another, return their result messages."""
    async with aiohttp.ClientSession() as session, session.ws_connect(hub.ws_url) as ws:
        await ws_auth(ws, hub.token)
        results = []
        for n, command in enumerate(commands, start=1):
            await ws.send_json({"id": n, **command})
            results.append(dict(await ws_result(ws, n)))
        return results


def new_token_command(name: str) -> dict[str, Any]:
    return {"type": "auth/long_lived_access_token", "client_name": name, "lifespan": 1}


# A full disk


class SmallDisk:
    """The configuration directory on a filesystem that can be filled.

    As root, a tmpfs mounted for the test (`mount -t tmpfs`), filled with a file; otherwise the
    hub's file-size limit (RLIMIT_FSIZE, via prlimit) lowered below what the database needs.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.kind = "tmpfs"
        self._pid: int | None = None
        root.mkdir()
        mounted = os.geteuid() == 0 and shutil.which("mount") is not None
        if mounted:
            result = subprocess.run(
                ["mount", "-t", "tmpfs", "-o", f"size={DISK_SIZE},mode=0700", "tmpfs", str(root)],
                capture_output=True,
                check=False,
            )
            mounted = result.returncode == 0
        if not mounted:
            self.kind = "rlimit"

    def attach(self, pid: int) -> None:
        self._pid = pid

    def fill(self) -> None:
        if self.kind == "tmpfs":
            # Unbuffered: a buffered file keeps what a failed write left and raises ENOSPC
            # again when it is closed.
            with (self.root / "filler").open("wb", buffering=0) as filler:
                chunk = b"\0" * 65536
                try:
                    while True:
                        filler.write(chunk)
                except OSError as err:
                    if err.errno != errno.ENOSPC:
                        raise
        else:
            assert self._pid is not None
            limit = max(p.stat().st_size for p in (self.root / "config").iterdir())
            resource.prlimit(self._pid, resource.RLIMIT_FSIZE, (limit, limit))

    def free(self) -> None:
        if self.kind == "tmpfs":
            (self.root / "filler").unlink()
        else:
            assert self._pid is not None
            unlimited = (resource.RLIM_INFINITY, resource.RLIM_INFINITY)
            resource.prlimit(self._pid, resource.RLIMIT_FSIZE, unlimited)

    def remove(self) -> None:
        if self.kind == "tmpfs":
            subprocess.run(["umount", str(self.root)], check=True)


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[SmallDisk]:
    small = SmallDisk(tmp_path / "disk")
    try:
        yield small
    finally:
        small.remove()


@pytest.fixture
def hub_on_disk(
    disk: SmallDisk, tmp_path: Path, hub_template: tuple[Path, str]
) -> Iterator[RunningHub]:
    config_dir = disk.root / "config"
    shutil.copytree(hub_template[0], config_dir)
    port = free_port()
    write_config(config_dir, port)
    log_path = tmp_path / "hub.log"  # not on the small disk
    running = RunningHub(
        config_dir, port, hub_template[1], start_hub(config_dir, port, log_path), log_path
    )
    disk.attach(running.process.pid)
    wait_listening(running.process, port, log_path)
    yield running
    assert running.stop() == 0, running.log()
    running.assert_clean_log()


def test_full_disk(
    hub_on_disk: RunningHub, disk: SmallDisk, record_property: pytest.RecordProperty
) -> None:
    hub = hub_on_disk
    record_property("full_disk_by", disk.kind)
    print(f"full disk simulated with: {disk.kind}")
    code = log_in(hub)
    disk.fill()

    # Reads and token checks keep working; the token's bookkeeping fails silently.
    assert request(hub, "GET", "/api/", token=hub.token).status == 200
    assert request(hub, "GET", "/api/states", token=hub.token, source="127.0.0.31").status == 200
    # A real write: a clear 503, never a 500.
    refused = exchange_reply(hub, code)
    assert refused.status == 503, refused
    assert refused.json()["message"].startswith("storage full")
    # The WebSocket authenticates, reads, and reports a failed write with its own code.
    states, token = asyncio.run(
        ws_session(hub, [{"type": "get_states"}, new_token_command("full")])
    )
    assert states["success"] is True
    assert token["success"] is False
    assert token["error"]["code"] == "storage_full", token
    # A wrong password is still answered (its audit entry waits for space).
    log_in_attempt = request(hub, "GET", "/api/", token="wrong.token.here")
    assert log_in_attempt.status == 401
    wait_log(hub, STORAGE_LINE)
    assert hub.log().count(STORAGE_LINE) == 1, hub.log()

    # Space comes back: the same hub stores changes again.
    disk.free()
    (created,) = asyncio.run(ws_session(hub, [new_token_command("after")]))
    assert created["success"] is True, created
    assert exchange_reply(hub, log_in(hub)).status == 200
    wait_log(hub, "writable again")
    assert request(hub, "GET", "/api/", token=hub.token).status == 200


# A database locked by another process


LOCKER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.read()
conn.execute("ROLLBACK")
"""


class Locker:
    """Another process holding the database's write lock until released."""

    def __init__(self, db: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", LOCKER, str(db)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "locked"

    def release(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            self.process.wait(timeout=CLI_TIMEOUT)
        if self.process.stdout is not None:
            self.process.stdout.close()


async def write_while_pinging(
    hub: RunningHub, code: str
) -> tuple[list[str], dict[str, Any], HttpReply]:
    """Ask for two writes that wait for the lock (WebSocket, REST); ping meanwhile. What
    arrived on the WebSocket, in order, its write's result, and the REST write's reply."""
    async with aiohttp.ClientSession() as session, session.ws_connect(hub.ws_url) as ws:
        await ws_auth(ws, hub.token)
        await ws.send_json({"id": 1, **new_token_command("locked")})
        rest = asyncio.create_task(asyncio.to_thread(exchange_reply, hub, code))
        arrived: list[str] = []
        result: dict[str, Any] | None = None
        for n in range(2, 7):
            await ws.send_json({"id": n, "type": "ping"})
            message = await ws.receive_json(timeout=10)
            arrived.append(message["type"])
            if message["id"] == 1:
                result = message
                break
            await asyncio.sleep(0.2)
        async with asyncio.timeout(20):
            while result is None:
                message = await ws.receive_json()
                if message["id"] == 1:
                    result = message
        return arrived, result, await rest


def test_locked_database(hub_factory: HubFactory) -> None:
    hub = hub_factory()
    code = log_in(hub)
    locker = Locker(hub.config_dir / "hearth.db")
    try:
        assert request(hub, "GET", "/api/", token=hub.token).status == 200
        assert (
            request(hub, "GET", "/api/states", token=hub.token, source="127.0.0.32").status == 200
        )
        # The writes wait for the lock in the writer thread: the event loop answers pings.
        arrived, result, refused = asyncio.run(write_while_pinging(hub, code))
        assert arrived[:3] == ["pong", "pong", "pong"], arrived
        assert result["success"] is False
        assert result["error"]["code"] == "storage_busy", result
        assert refused.status == 503, refused
        assert refused.json()["message"].startswith("storage busy")
        wait_log(hub, STORAGE_LINE)
        assert hub.log().count(STORAGE_LINE) == 1, hub.log()
    finally:
        locker.release()
    (created,) = asyncio.run(ws_session(hub, [new_token_command("unlocked")]))
    assert created["success"] is True, created
    assert exchange_reply(hub, log_in(hub)).status == 200


# Start-up


def hearth_run(config_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hearth", "-c", str(config_dir), *RUN],
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        env=hub_env(),
        check=False,
    )


def test_locked_database_at_start_is_one_line(
    tmp_path: Path, hub_template: tuple[Path, str]
) -> None:
    """Expired tokens are pruned at start: with the lock held elsewhere, one line, exit 1."""
    config_dir = tmp_path / "config"
    shutil.copytree(hub_template[0], config_dir)
    write_config(config_dir, free_port())
    db = sqlite3.connect(config_dir / "hearth.db", isolation_level=None)
    try:
        (user_id,) = db.execute("SELECT id FROM users WHERE username = ?", (USERNAME,)).fetchone()
        db.execute(
            "INSERT INTO refresh_tokens (id, user_id, token_hash, jwt_key, token_type,"
            " client_name, access_token_expiration, created_at, expires_at)"
            " VALUES (?, ?, ?, 'k', 'long_lived_access_token', 'old', 60.0, ?, ?)",
            ("f" * 32, user_id, "e" * 64, "2020-01-01T00:00:00+00:00", "2021-01-01T00:00:00+00:00"),
        )
    finally:
        db.close()
    locker = Locker(config_dir / "hearth.db")
    try:
        result = hearth_run(config_dir)
    finally:
        locker.release()
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "Error: hearth.db: cannot start: the database is locked by another process (storage "
        "busy); stop it and retry"
    ], result.stderr


def test_garbage_database_is_refused_in_one_line(
    tmp_path: Path, hub_template: tuple[Path, str]
) -> None:
    config_dir = tmp_path / "config"
    shutil.copytree(hub_template[0], config_dir)
    write_config(config_dir, free_port())
    (config_dir / "hearth.db").write_bytes(b"not a database at all\n" * 200)
    (config_dir / "hearth.db").chmod(0o644)
    for side in ("hearth.db-wal", "hearth.db-shm"):
        (config_dir / side).unlink(missing_ok=True)
    result = hearth_run(config_dir)
    assert result.returncode == 1, result
    assert "Tightened" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "Error: hearth.db: not an SQLite database; move it away to start with an empty store, "
        "or restore a backup"
    ], result.stderr
