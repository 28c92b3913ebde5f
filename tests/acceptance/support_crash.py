"""Writers for the crash-durability test: each records only what the hub (or the CLI) acknowledged.

A write counts as acknowledged when its answer reached the client: a 200 from REST, a success
result on the WebSocket, exit status 0 from the CLI. Writes cut off by the kill are not counted:
they may or may not have happened, and the test checks neither way.
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Any, Final

import aiohttp

from tests.acceptance.support import PASSWORD, USERNAME, hub_env

CLIENT_ID: Final = "https://crash.example/"
REDIRECT_URI: Final = "https://crash.example/callback"
# The writers and the checker come from here; the hub's config allow-lists it, because checking
# that a revoked token is refused is, to the hub, one more failed login.
SOURCE: Final = "127.0.0.3"
CRASH_HTTP_CONFIG: Final = f"  ip_ban_allowlist: ['{SOURCE}']\n"
PACE: Final = 0.01  # seconds between one writer's writes: a few dozen writes per round


def token_id(token: str) -> str:
    """The refresh token id behind an access or long-lived token (the JWT's `iss` claim)."""
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return str(claims["iss"])


@dataclass
class Ledger:
    """Everything acknowledged so far, across rounds and restarts."""

    users: set[str] = field(default_factory=set)
    user_names: dict[str, str] = field(default_factory=dict)  # username -> display name set
    tokens: dict[str, str] = field(default_factory=dict)  # id -> long-lived token
    sessions: dict[str, str] = field(default_factory=dict)  # id -> refresh token (a login)
    revoked: dict[str, str] = field(default_factory=dict)  # id -> the token or refresh token
    bans: set[str] = field(default_factory=set)
    lifted: set[str] = field(default_factory=set)
    pending_revocations: set[str] = field(default_factory=set)  # asked for, not acknowledged
    recent: set[str] = field(default_factory=set)  # "kind:key" acknowledged since the last check
    serials: Iterator[int] = field(default_factory=lambda: count(1))  # unique names, all rounds
    writes: int = 0

    def live_tokens(self) -> list[str]:
        """Ids of acknowledged tokens and sessions that no revocation was even asked for."""
        return [
            key
            for key in (*self.tokens, *self.sessions)
            if key not in self.revoked and key not in self.pending_revocations
        ]

    def ack(self, what: str) -> None:
        """Count one acknowledged write, `kind:key` (user:, name:, token:, revoke:, ban:, lift:)."""
        self.writes += 1
        self.recent.add(what)


class Writers:
    """One round's concurrent writers against a hub at `base`; all stop when the hub dies."""

    def __init__(
        self, base: str, admin_token: str, config_dir: Path, ledger: Ledger, rng: random.Random
    ) -> None:
        self.base = base
        self.admin_token = admin_token
        self.config_dir = config_dir
        self.ledger = ledger
        self.rng = rng
        self._names = ledger.serials

    def _pick_live(self) -> str | None:
        live = self.ledger.live_tokens()
        return self.rng.choice(sorted(live)) if live else None

    async def rest(self, session: aiohttp.ClientSession) -> None:
        """Logins (a new session each), revocations at /auth/revoke, ban lifts at /api/bans."""
        while True:
            await asyncio.sleep(PACE)
            choice = self.rng.random()
            if choice < 0.5:
                await self._login(session)
            elif choice < 0.8:
                await self._revoke_rest(session)
            else:
                await self._lift_ban(session, "rest")

    async def _login(self, session: aiohttp.ClientSession) -> None:
        begin = {
            "client_id": CLIENT_ID,
            "handler": ["homeassistant", None],
            "redirect_uri": REDIRECT_URI,
        }
        async with session.post(f"{self.base}/auth/login_flow", json=begin) as resp:
            if not await _accepted(resp):
                return
            flow_id = (await resp.json())["flow_id"]
        step = {"client_id": CLIENT_ID, "username": USERNAME, "password": PASSWORD}
        async with session.post(f"{self.base}/auth/login_flow/{flow_id}", json=step) as resp:
            if not await _accepted(resp):
                return
            code = (await resp.json()).get("result")
        form = {"grant_type": "authorization_code", "client_id": CLIENT_ID, "code": str(code)}
        async with session.post(f"{self.base}/auth/token", data=form) as resp:
            if not await _accepted(resp):
                return
            body = await resp.json()
        key = token_id(body["access_token"])
        self.ledger.sessions[key] = body["refresh_token"]
        self.ledger.ack(f"token:{key}")

    async def _revoke_rest(self, session: aiohttp.ClientSession) -> None:
        key = self._pick_live()
        if key is None:
            return
        secret = self.ledger.sessions.get(key) or self.ledger.tokens[key]
        self.ledger.pending_revocations.add(key)
        async with session.post(f"{self.base}/auth/revoke", data={"token": secret}) as resp:
            assert resp.status == 200, await resp.text()
        self.ledger.revoked[key] = secret
        self.ledger.ack(f"revoke:{key}")

    async def _lift_ban(self, session: aiohttp.ClientSession, via: str, ws: Any = None) -> None:
        candidates = sorted(self.ledger.bans - self.ledger.lifted)
        if not candidates:
            await asyncio.sleep(0.01)
            return
        address = self.rng.choice(candidates)
        if via == "rest":
            headers = {"Authorization": f"Bearer {self.admin_token}"}
            async with session.delete(f"{self.base}/api/bans/{address}", headers=headers) as resp:
                if resp.status == 404:  # lifted by the other writer meanwhile
                    return
                assert resp.status == 200, await resp.text()
        else:
            reply = await ws.command({"type": "ban/remove", "ip": address})
            if not reply["success"]:
                assert reply["error"]["code"] == "not_found", reply
                return
        self.ledger.lifted.add(address)
        self.ledger.ack(f"lift:{address}")

    async def websocket(self, session: aiohttp.ClientSession) -> None:
        """Token creation and revocation, user updates and ban lifts over one WebSocket."""
        ws = await WsClient.connect(session, self.base, self.admin_token)
        while True:
            await asyncio.sleep(PACE)
            choice = self.rng.random()
            if choice < 0.4:
                name = f"crash-ws-{next(self._names)}"
                reply = await ws.command(
                    {"type": "auth/long_lived_access_token", "client_name": name, "lifespan": 30}
                )
                if not _succeeded(reply):
                    continue
                key = token_id(reply["result"])
                self.ledger.tokens[key] = reply["result"]
                self.ledger.ack(f"token:{key}")
            elif choice < 0.7:
                key = self._pick_live()
                if key is None:
                    continue
                self.ledger.pending_revocations.add(key)
                reply = await ws.command(
                    {"type": "auth/delete_refresh_token", "refresh_token_id": key}
                )
                assert reply["success"], reply
                self.ledger.revoked[key] = self.ledger.sessions.get(key) or self.ledger.tokens[key]
                self.ledger.ack(f"revoke:{key}")
            elif choice < 0.85:
                await self._rename_user(ws)
            else:
                await self._lift_ban(session, "ws", ws)

    async def _rename_user(self, ws: WsClient) -> None:
        users = await ws.command({"type": "config/auth/list"})
        assert users["success"], users
        candidates = [user for user in users["result"] if user["username"] in self.ledger.users]
        if not candidates:
            return
        user = self.rng.choice(candidates)
        name = f"Renamed {next(self._names)}"
        reply = await ws.command(
            {"type": "config/auth/update", "user_id": user["id"], "name": name}
        )
        assert reply["success"], reply
        self.ledger.user_names[user["username"]] = name
        self.ledger.ack(f"name:{user['username']}")

    async def cli(self, delay: float) -> None:
        """One CLI write after `delay`: a user, a token, a revocation or a ban."""
        await asyncio.sleep(delay)
        n = next(self._names)
        choice = self.rng.random()
        key = self._pick_live()
        if choice < 0.3:
            args, stdin = ["user", "add", f"crash{n}", "--password-stdin"], PASSWORD + "\n"
        elif choice < 0.55:
            args, stdin = ["token", "create", USERNAME, "--name", f"crash-cli-{n}"], None
        elif choice < 0.75 and key is not None:
            args, stdin = ["token", "revoke", key], None
            self.ledger.pending_revocations.add(key)
        else:
            args, stdin = ["ban", "add", f"203.0.113.{n % 250 + 1}", "--reason", "crash test"], None
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "hearth",
            "-c",
            str(self.config_dir),
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=hub_env(),
        )
        out, err = await process.communicate(stdin.encode() if stdin else None)
        assert "Traceback" not in err.decode(), f"hearth {' '.join(args)}: {err.decode()}"
        if process.returncode != 0:
            # A refusal (a cap on tokens, say) is a clear one-line error, and no write.
            assert args[:2] != ["token", "revoke"], f"hearth {' '.join(args)}: {err.decode()}"
            return
        if args[:2] == ["user", "add"]:
            self.ledger.users.add(args[2])
            self.ledger.ack(f"user:{args[2]}")
        elif args[:2] == ["token", "create"]:
            token = out.decode().strip()
            self.ledger.tokens[token_id(token)] = token
            self.ledger.ack(f"token:{token_id(token)}")
        elif args[:2] == ["token", "revoke"]:
            assert key is not None
            self.ledger.revoked[key] = self.ledger.sessions.get(key) or self.ledger.tokens[key]
            self.ledger.ack(f"revoke:{key}")
        else:
            self.ledger.bans.add(args[2])
            self.ledger.lifted.discard(args[2])
            self.ledger.ack(f"ban:{args[2]}")


async def _accepted(resp: aiohttp.ClientResponse) -> bool:
    """A 200; a refusal by policy (a cap on sessions, say) is a 4xx and no write; never a 5xx."""
    assert resp.status < 500, f"{resp.method} {resp.url}: {resp.status} {await resp.text()}"
    return resp.status == 200


def _succeeded(reply: dict[str, Any]) -> bool:
    """A success result; a refusal by policy is an error with a code, never unknown_error."""
    if not reply["success"]:
        assert reply["error"]["code"] != "unknown_error", reply
    return bool(reply["success"])


class WsClient:
    """An authenticated WebSocket connection that sends one command at a time."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        self._ids = count(1)

    @classmethod
    async def connect(cls, session: aiohttp.ClientSession, base: str, token: str) -> WsClient:
        ws = await session.ws_connect(base.replace("http", "ws", 1) + "/api/websocket")
        assert (await ws.receive_json())["type"] == "auth_required"
        await ws.send_json({"type": "auth", "access_token": token})
        assert (await ws.receive_json())["type"] == "auth_ok"
        return cls(ws)

    async def command(self, message: dict[str, Any]) -> dict[str, Any]:
        """Send `message` with the next id; its result."""
        msg_id = next(self._ids)
        await self._ws.send_json({"id": msg_id, **message})
        while True:
            reply: dict[str, Any] = await self._ws.receive_json()
            if reply.get("id") == msg_id and reply.get("type") == "result":
                return reply


def connector() -> aiohttp.TCPConnector:
    """Connections from the allow-listed address."""
    return aiohttp.TCPConnector(local_addr=(SOURCE, 0), force_close=True)
