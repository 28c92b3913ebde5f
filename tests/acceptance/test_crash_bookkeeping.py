"""kill -9 during writes and failed logins: what is batched loses at most a moment (issue 14).

The acknowledged writes of every kind are the business of test_crash_durability.py; this test
adds the bookkeeping committed in batches (failure records, bans reported in the log).

Each round starts the hub on the same directory (so it also recovers from the previous kill),
writes for a random moment — long-lived tokens created and revoked over the WebSocket, failed
logins from many addresses (some of which get banned), a user added with the CLI — and kills it
with SIGKILL. Then the store must hold every token whose creation was acknowledged, none whose
revocation was, every user the CLI reported, every ban the log reported, and every failure record
acknowledged more than a moment before the kill (failures are bookkeeping, committed in batches).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import shutil
import sqlite3
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import jwt
import pytest

from tests.acceptance.support import (
    HOST,
    RunningHub,
    free_port,
    start_hub,
    start_user_add,
    wait_listening,
    write_config,
)
from tests.acceptance.support_ws import ws_auth

pytestmark = pytest.mark.acceptance

ROUNDS = 10
THRESHOLD = 5  # the default login_attempts_threshold
# Failures acknowledged this long before the kill must be stored: five batches (100 ms each).
BATCH_MARGIN = 0.5
BANNED = re.compile(r"Banned (\S+) for")


@dataclass
class Acknowledged:
    """What the hub (or the CLI) confirmed, across all rounds."""

    tokens: set[str] = field(default_factory=set)
    revoking: set[str] = field(default_factory=set)  # asked for; the answer may not have come
    revoked: set[str] = field(default_factory=set)
    users: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class Failures:
    """One round's failed-login replies: per client, the times a 401 or a 403 came back."""

    unauthorized: dict[str, list[float]] = field(default_factory=dict)
    refused: set[str] = field(default_factory=set)
    first: threading.Event = field(default_factory=threading.Event)


async def token_writer(port: int, token: str, tag: str, acked: Acknowledged) -> None:
    """Create long-lived tokens and revoke every third one, recording what was acknowledged."""
    url = f"ws://{HOST}:{port}/api/websocket"
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        await ws_auth(ws, token)
        mine: list[str] = []
        for n in range(1, 10_000):
            if n % 3 == 0 and mine:
                victim = mine.pop(0)
                with acked.lock:
                    acked.revoking.add(victim)
                await ws.send_json(
                    {"id": n, "type": "auth/delete_refresh_token", "refresh_token_id": victim}
                )
                reply = await ws.receive_json()
                if reply.get("success"):
                    with acked.lock:
                        acked.revoked.add(victim)
                continue
            name = f"{tag}-{n}"
            await ws.send_json(
                {
                    "id": n,
                    "type": "auth/long_lived_access_token",
                    "client_name": name,
                    "lifespan": 1,
                }
            )
            reply = await ws.receive_json()
            if reply.get("success"):
                token_id = jwt.decode(reply["result"], options={"verify_signature": False})["iss"]
                mine.append(token_id)
                with acked.lock:
                    acked.tokens.add(token_id)


def write_tokens(port: int, token: str, tag: str, acked: Acknowledged) -> None:
    with contextlib.suppress(aiohttp.ClientError, ConnectionError, TimeoutError, TypeError):
        asyncio.run(token_writer(port, token, tag, acked))


def fail_logins(port: int, net: int, failures: Failures, stop: threading.Event) -> None:
    """Invalid tokens: first enough from one address to ban it, then from 50 addresses in turn
    (few of which reach the threshold in a round: their failure records are checked)."""
    import http.client

    n = 0
    while not stop.is_set():
        client = f"127.0.{net}.{200 if n < THRESHOLD else n % 50 + 1}"
        n += 1
        conn = http.client.HTTPConnection(HOST, port, timeout=5, source_address=(client, 0))
        try:
            conn.request("GET", "/api/states", headers={"Authorization": f"Bearer bad.{n}.x"})
            status = conn.getresponse().status
        except OSError:
            return
        finally:
            conn.close()
        if status == 401:
            failures.unauthorized.setdefault(client, []).append(time.monotonic())
            failures.first.set()
        elif status == 403:
            failures.refused.add(client)


def check_store(
    db_path: Path, acked: Acknowledged, failures: Failures, killed_at: float, log: str
) -> tuple[int, int]:
    """Check one round; (bans reported, old failures checked), to show it was not vacuous."""
    db = sqlite3.connect(db_path)  # opening after the kill recovers the write-ahead log
    try:
        tokens = {row[0] for row in db.execute("SELECT id FROM refresh_tokens")}
        users = {row[0] for row in db.execute("SELECT username FROM users")}
        bans = {row[0] for row in db.execute("SELECT client FROM ip_bans")}
        stored: dict[str, int] = dict(
            db.execute("SELECT client, count(*) FROM ip_ban_failures GROUP BY client").fetchall()
        )
    finally:
        db.close()
    with acked.lock:
        kept = acked.tokens - acked.revoking
        assert kept <= tokens, f"an acknowledged token was lost: {kept - tokens}"
        assert not acked.revoked & tokens, "an acknowledged revocation was undone"
        assert acked.users <= users, "a user the CLI created was lost"
    assert "Traceback" not in log, log
    reported = set(BANNED.findall(log))
    assert reported <= bans, f"a logged ban was lost: {reported - bans}"
    checked = 0
    for client, times in failures.unauthorized.items():
        if client in bans:
            continue  # a stored ban replaces the client's failure records
        old = sum(1 for t in times if t <= killed_at - BATCH_MARGIN)
        if client in failures.refused:
            old = min(old, THRESHOLD - 1)  # the failure that banned it is the ban itself
        assert stored.get(client, 0) >= old, (client, old, stored.get(client, 0))
        checked += old
    return len(reported), checked


@pytest.mark.timeout(300)  # ROUNDS hub starts; each round is bounded
def test_acknowledged_writes_survive_kill_9(tmp_path: Path, hub_template: tuple[Path, str]) -> None:
    config_dir = tmp_path / "config"
    shutil.copytree(hub_template[0], config_dir)
    port = free_port()
    write_config(config_dir, port)
    token = hub_template[1]
    acked = Acknowledged()
    bans_reported = failures_checked = 0
    chance = random.Random(1004)
    for round_no in range(ROUNDS):
        log_path = tmp_path / f"round{round_no}.log"
        process = start_hub(config_dir, port, log_path)
        wait_listening(process, port, log_path)
        failures = Failures()
        stop = threading.Event()
        workers = [
            threading.Thread(target=write_tokens, args=(port, token, f"r{round_no}", acked)),
            threading.Thread(target=fail_logins, args=(port, round_no + 1, failures, stop)),
        ]
        cli = (
            start_user_add(config_dir, f"user{round_no}", output=subprocess.DEVNULL)
            if round_no % 4 == 0
            else None
        )
        for worker in workers:
            worker.start()
        # Kill at a random moment, but late enough for some failures to be older than the margin.
        failures.first.wait(timeout=10)
        time.sleep(BATCH_MARGIN + chance.uniform(0.0, 0.7))
        process.kill()
        killed_at = time.monotonic()
        process.wait(timeout=10)
        stop.set()
        for worker in workers:
            worker.join(timeout=20)
        if cli is not None and cli.wait(timeout=60) == 0:
            acked.users.add(f"user{round_no}")
        reported, checked = check_store(
            config_dir / "hearth.db",
            acked,
            failures,
            killed_at,
            log_path.read_text(errors="replace"),
        )
        bans_reported += reported
        failures_checked += checked
    # After all that, the hub starts and serves, and the store is intact.
    log_path = tmp_path / "final.log"
    final = RunningHub(config_dir, port, token, start_hub(config_dir, port, log_path), log_path)
    wait_listening(final.process, port, log_path)
    try:
        db = sqlite3.connect(config_dir / "hearth.db")
        try:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            db.close()
    finally:
        assert final.stop() == 0, final.log()
    final.assert_clean_log()
    # Not vacuous: writes, revocations, bans and old-enough failures were all checked.
    assert acked.tokens, "no token was ever acknowledged: the rounds were too short"
    assert acked.revoked, "no revocation was ever acknowledged"
    assert bans_reported, "no ban was ever reported"
    assert failures_checked, "no failure was old enough to be checked"
