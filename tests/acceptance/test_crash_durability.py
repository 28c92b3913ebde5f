"""Kill the hub with SIGKILL during concurrent writes; nothing acknowledged may be lost.

Each round starts concurrent writers — logins and revocations over REST, tokens, revocations,
user updates and ban lifts over the WebSocket, a user, token, revocation or ban from the CLI —
and kills the hub at a seeded random moment. Then: `PRAGMA integrity_check` is ok, the hub starts
again, every write acknowledged in the round is there (users, names, bans, lifted bans, working
tokens) and every acknowledged revocation holds (the token is refused). At the end everything
acknowledged in all rounds is checked once more.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import shutil
import signal
import sqlite3
from pathlib import Path
from typing import Final

import aiohttp
import pytest

from hearth import const
from tests.acceptance.support import (
    RunningHub,
    free_port,
    start_hub,
    wait_listening,
    write_config,
)
from tests.acceptance.support_crash import (
    CLIENT_ID,
    CRASH_HTTP_CONFIG,
    Ledger,
    Writers,
    WsClient,
    connector,
)
from tests.fuzz.client import BAD_LOG

pytestmark = pytest.mark.acceptance

ROUNDS: Final = 20
SEED: Final = 20261203
KILL_AFTER: Final = (0.05, 0.9)  # seconds after the writers start
CLI_DELAY: Final = (0.0, 0.6)
MAX_CLI: Final = 2
# What a writer cut off by the kill may raise; anything else is a failure of the test or the hub.
CUT_OFF: Final = (aiohttp.ClientError, ConnectionError, asyncio.TimeoutError, KeyError, TypeError)


def integrity(config_dir: Path) -> str:
    """SQLite's own verdict on the database file the killed hub left."""
    with contextlib.closing(sqlite3.connect(config_dir / const.DATABASE_FILE)) as db:
        rows = db.execute("PRAGMA integrity_check").fetchall()
    return ", ".join(str(row[0]) for row in rows)


async def burst(
    hub: RunningHub, ledger: Ledger, rng: random.Random, cli: list[asyncio.Task[None]]
) -> None:
    """Run the writers, kill the hub at a random moment; CLI writers go on in the background."""
    writers = Writers(hub.base_url, hub.token, hub.config_dir, ledger, rng)
    # The CLI writes to the store itself, so its processes run across kills and restarts, at
    # most two at a time (each costs an interpreter start).
    for task in [task for task in cli if task.done()]:
        task.result()  # a CLI write that failed fails the test here
        cli.remove(task)
    if len(cli) < MAX_CLI:
        cli.append(asyncio.create_task(writers.cli(rng.uniform(*CLI_DELAY))))
    async with aiohttp.ClientSession(connector=connector()) as session:
        online = [
            asyncio.create_task(writers.rest(session)),
            asyncio.create_task(writers.websocket(session)),
        ]
        await asyncio.sleep(rng.uniform(*KILL_AFTER))
        hub.process.send_signal(signal.SIGKILL)
        hub.process.wait(timeout=10)
        hub.stopped = True
        await asyncio.sleep(0.05)  # let answers already on the wire be read, or fail
        for task in online:
            task.cancel()
        for result in await asyncio.gather(*online, return_exceptions=True):
            if not isinstance(result, (asyncio.CancelledError, *CUT_OFF)):
                raise result if isinstance(result, BaseException) else AssertionError(result)


async def verify(hub: RunningHub, ledger: Ledger, *, everything: bool) -> None:
    """Every acknowledged write (of the last round, or of all rounds) survived the kill."""

    recent = set(ledger.recent)  # CLI writers may add to it meanwhile: those wait for next time
    ledger.recent -= recent

    def due(kind: str, key: str) -> bool:
        return everything or f"{kind}:{key}" in recent

    async with aiohttp.ClientSession(connector=connector()) as session:
        # Snapshots: a CLI writer may still be at work. A token it is revoking is pending from
        # before its process starts, so a token checked here is not being revoked.
        for key in ledger.live_tokens():
            if due("token", key) and key not in ledger.pending_revocations:
                assert await token_works(session, hub, ledger, key), (
                    f"acknowledged token {key} lost"
                )
        for key in list(ledger.revoked):
            if due("revoke", key):
                assert not await token_works(session, hub, ledger, key), f"revoked {key} works"
        ws = await WsClient.connect(session, hub.base_url, hub.token)
        users = await ws.command({"type": "config/auth/list"})
        names = {user["username"]: user["name"] for user in users["result"]}
        for username in set(ledger.users):
            if due("user", username):
                assert username in names, f"acknowledged user {username} lost"
        for username, name in list(ledger.user_names.items()):
            if due("name", username):
                assert names[username] == name, f"rename of {username} lost"
        bans = await ws.command({"type": "ban/list"})
        banned = {ban["ip"] for ban in bans["result"]}
        for address in ledger.bans - ledger.lifted:
            if due("ban", address):
                assert address in banned, f"acknowledged ban of {address} lost"
        for address in set(ledger.lifted):
            if due("lift", address):
                assert address not in banned, f"acknowledged lift of {address} lost"


async def token_works(
    session: aiohttp.ClientSession, hub: RunningHub, ledger: Ledger, key: str
) -> bool:
    """Whether a long-lived token still authenticates, or a login's refresh token refreshes."""
    if key in ledger.tokens:
        headers = {"Authorization": f"Bearer {ledger.tokens[key]}"}
        async with session.get(f"{hub.base_url}/api/", headers=headers) as resp:
            assert resp.status in (200, 401), resp.status
            return resp.status == 200
    form = {"grant_type": "refresh_token", "client_id": CLIENT_ID}
    form["refresh_token"] = ledger.sessions.get(key) or ledger.revoked[key]
    async with session.post(f"{hub.base_url}/auth/token", data=form) as resp:
        assert resp.status in (200, 400), resp.status
        return resp.status == 200


def assert_clean(log_path: Path) -> None:
    """A killed hub leaves no traceback behind, only a log that stops."""
    bad = [
        line for line in log_path.read_text(errors="replace").splitlines() if BAD_LOG.search(line)
    ]
    assert not bad, "\n".join(bad)


@pytest.mark.timeout(300)
async def test_acknowledged_writes_survive_sigkill(
    tmp_path: Path, hub_template: tuple[Path, str]
) -> None:
    template_dir, token = hub_template
    config_dir = tmp_path / "config"
    shutil.copytree(template_dir, config_dir)
    port = free_port()
    write_config(config_dir, port, http_extra=CRASH_HTTP_CONFIG)
    rng = random.Random(SEED)
    ledger = Ledger()
    hub: RunningHub | None = None
    cli: list[asyncio.Task[None]] = []
    try:
        for round_number in range(ROUNDS + 1):
            log_path = tmp_path / f"hub{round_number}.log"
            process = start_hub(config_dir, port, log_path)
            hub = RunningHub(config_dir, port, token, process, log_path)
            wait_listening(process, port, log_path)
            await verify(hub, ledger, everything=round_number == ROUNDS)
            if round_number == ROUNDS:
                break
            await burst(hub, ledger, rng, cli)
            assert_clean(log_path)
            if round_number == ROUNDS - 1:
                await asyncio.gather(*cli)  # every CLI write settled before the last check
            assert integrity(config_dir) == "ok", f"round {round_number}"
    finally:
        await asyncio.gather(*cli, return_exceptions=True)
        if hub is not None and hub.process.poll() is None:
            hub.stop()
    assert hub is not None
    assert_clean(hub.log_path)
    # The rounds must have written something of every kind, or the test proves little.
    assert ledger.writes >= 5 * ROUNDS, ledger.writes
    for kind in ("tokens", "sessions", "revoked", "users", "user_names", "bans", "lifted"):
        assert getattr(ledger, kind), f"no acknowledged writes of {kind}"
