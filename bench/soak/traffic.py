"""The soak's mixed traffic: REST reads and writes, WebSocket subscribers that come and go,
logins, failed logins from addresses of their own, and CLI writes beside the running hub."""

from __future__ import annotations

import asyncio
import base64
import functools
import itertools
import json
import random
import secrets
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Final

import aiohttp

from bench.hub import PASSWORD, USERNAME, Hub, hearth_cli

# Good clients come from these addresses, allow-listed against bans in the soak hub's config;
# failed logins come from BAD_SOURCES, which the hub bans and the CLI lifts again.
GOOD_SOURCES: Final = ("127.0.0.1", "127.0.0.2")
BAD_SOURCES: Final = tuple(f"127.0.1.{n}" for n in range(1, 17))
SOAK_HTTP_CONFIG: Final = f"  ip_ban_allowlist: {list(GOOD_SOURCES)}\n"
CLIENT_ID: Final = "https://soak.example/"
REDIRECT_URI: Final = "https://soak.example/callback"
MAX_PROBLEMS: Final = 20


@dataclass
class Stats:
    """What the traffic did, and what went wrong (the first problems, verbatim)."""

    counts: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def problem(self, text: str) -> None:
        """Record an unexpected answer."""
        self.counts["problems"] += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(text)

    def status(self, what: str, status: int, expected: tuple[int, ...]) -> bool:
        """Count one answer; a 5xx or an unexpected status is a problem."""
        self.counts["requests"] += 1
        if status >= 500:
            self.counts["server_errors"] += 1
        if status not in expected:
            self.problem(f"{what}: {status}")
            return False
        return True


def session(source: str) -> aiohttp.ClientSession:
    """A client session whose connections come from `source`."""
    connector = aiohttp.TCPConnector(local_addr=(source, 0), limit=8)
    return aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30))


class Traffic:
    """All workers of one soak run; `run()` until cancelled."""

    def __init__(self, hub: Hub, stats: Stats, seed: int) -> None:
        self.hub = hub
        self.base = f"http://127.0.0.1:{hub.port}"
        self.auth = {"Authorization": f"Bearer {hub.token}"}
        self.stats = stats
        self.rng = random.Random(seed)
        self.subscribers = 0

    async def run(self, subscribers: int = 10) -> None:
        """Every worker at once, each restarted (and its failure recorded) if it breaks."""
        async with session(GOOD_SOURCES[0]) as good, session(GOOD_SOURCES[1]) as other:
            workers: list[Callable[[], Awaitable[None]]] = [
                lambda: self.rest_reads(good),
                lambda: self.rest_reads(other),
                lambda: self.rest_writes(good),
                lambda: self.logins(other),
                self.failed_logins,
                self.cli_writes,
                *(
                    functools.partial(self.subscriber, good if n % 2 else other)
                    for n in range(subscribers)
                ),
            ]
            await asyncio.gather(*(self._forever(worker) for worker in workers))

    async def _forever(self, worker: Callable[[], Awaitable[None]]) -> None:
        while True:
            try:
                await worker()
            except (aiohttp.ClientError, TimeoutError, ValueError, KeyError) as err:
                self.stats.problem(f"{getattr(worker, '__name__', 'worker')}: {err!r}")
                await asyncio.sleep(1.0)

    async def rest_reads(self, http: aiohttp.ClientSession) -> None:
        """Reads of every kind an app makes."""
        paths = ["/api/", "/api/states", "/api/config", "/api/services", "/api/events"]
        while True:
            path = self.rng.choice(paths)
            async with http.get(self.base + path, headers=self.auth) as resp:
                await resp.read()
                self.stats.status(f"GET {path}", resp.status, (200,))
            await asyncio.sleep(0.02)

    async def rest_writes(self, http: aiohttp.ClientSession) -> None:
        """State writes over a bounded set of entities, and service calls."""
        for n in itertools.count():
            entity = f"sensor.soak_{n % 50}"
            body = {"state": str(n), "attributes": {"n": n, "unit_of_measurement": "W"}}
            url = f"{self.base}/api/states/{entity}"
            async with http.post(url, json=body, headers=self.auth) as resp:
                await resp.read()
                self.stats.status("POST state", resp.status, (200, 201))
            url = f"{self.base}/api/services/light/toggle"
            async with http.post(
                url, json={"entity_id": "light.demo_light_1"}, headers=self.auth
            ) as resp:
                await resp.read()
                self.stats.status("POST service", resp.status, (200,))
            await asyncio.sleep(0.05)

    async def subscriber(self, http: aiohttp.ClientSession) -> None:
        """A WebSocket client that subscribes, listens for a while, leaves and comes back."""
        while True:
            lifetime = self.rng.uniform(5, 30)
            async with http.ws_connect(self.base + "/api/websocket") as ws:
                await ws.receive_json()
                await ws.send_json({"type": "auth", "access_token": self.hub.token})
                if (await ws.receive_json())["type"] != "auth_ok":
                    self.stats.problem("WebSocket auth refused")
                    return
                await ws.send_json(
                    {"id": 1, "type": "subscribe_events", "event_type": "state_changed"}
                )
                await ws.send_json({"id": 2, "type": "subscribe_entities"})
                self.stats.counts["ws_connections"] += 1
                self.subscribers += 1
                try:
                    await self._listen(ws, lifetime)
                finally:
                    self.subscribers -= 1

    async def _listen(self, ws: aiohttp.ClientWebSocketResponse, lifetime: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + lifetime
        while (left := deadline - loop.time()) > 0:
            try:
                msg = await ws.receive(timeout=left)
            except TimeoutError:
                return
            if msg.type != aiohttp.WSMsgType.TEXT:
                self.stats.problem(f"subscriber connection ended: {msg.type.name} {msg.data}")
                return
            for message in _messages(msg.data):
                if message.get("type") == "event":
                    self.stats.counts["ws_events"] += 1
                elif message.get("type") == "result" and not message.get("success"):
                    self.stats.problem(f"subscription failed: {message}")

    async def logins(self, http: aiohttp.ClientSession) -> None:
        """The whole login of an app, a refresh, then a logout (revocation)."""
        while True:
            tokens = await self._login(http, USERNAME, PASSWORD)
            if tokens is not None:
                form = {"grant_type": "refresh_token", "client_id": CLIENT_ID}
                form["refresh_token"] = tokens["refresh_token"]
                async with http.post(self.base + "/auth/token", data=form) as resp:
                    await resp.read()
                    self.stats.status("refresh", resp.status, (200,))
                revoke = {"token": tokens["refresh_token"]}
                async with http.post(self.base + "/auth/revoke", data=revoke) as resp:
                    await resp.read()
                    self.stats.status("revoke", resp.status, (200,))
                self.stats.counts["logins"] += 1
            await asyncio.sleep(1.0)

    async def _login(
        self, http: aiohttp.ClientSession, username: str, password: str
    ) -> dict[str, Any] | None:
        begin = {
            "client_id": CLIENT_ID,
            "handler": ["homeassistant", None],
            "redirect_uri": REDIRECT_URI,
        }
        async with http.post(self.base + "/auth/login_flow", json=begin) as resp:
            if not self.stats.status("begin login", resp.status, (200, 403)) or resp.status == 403:
                return None
            flow_id = (await resp.json())["flow_id"]
        step = {"client_id": CLIENT_ID, "username": username, "password": password}
        async with http.post(f"{self.base}/auth/login_flow/{flow_id}", json=step) as resp:
            if not self.stats.status("login step", resp.status, (200, 403)) or resp.status == 403:
                return None
            result = await resp.json()
        if result.get("type") != "create_entry":
            return None
        form = {
            "grant_type": "authorization_code",
            "client_id": CLIENT_ID,
            "code": result["result"],
        }
        async with http.post(self.base + "/auth/token", data=form) as resp:
            if not self.stats.status("token", resp.status, (200,)):
                return None
            tokens: dict[str, Any] = await resp.json()
            return tokens

    async def failed_logins(self) -> None:
        """Wrong passwords under made-up names from the bad addresses, round robin."""
        clients = [session(source) for source in BAD_SOURCES]
        try:
            for n in itertools.count():
                http = clients[n % len(clients)]
                # A fresh name each time, as a password sprayer would: the hub's per-name state
                # must stay bounded.
                name = f"nobody-{secrets.token_hex(4)}"
                tokens = await self._login(http, name, "wrong password, surely")
                if tokens is not None:
                    self.stats.problem(f"a wrong password logged in as {name}")
                self.stats.counts["failed_logins"] += 1
                await asyncio.sleep(0.25)
        finally:
            for http in clients:
                await http.close()

    async def cli_writes(self) -> None:
        """Every 10 s a CLI write: lift a ban of a bad address, or create or revoke a token."""
        created: list[str] = []
        for n in itertools.count():
            await asyncio.sleep(10)
            try:
                if n % 3 == 0:
                    await asyncio.to_thread(self._lift_one_ban)
                elif n % 3 == 1:
                    args = ("token", "create", USERNAME, "--name", f"soak-{n}", "--days", "1")
                    token = await asyncio.to_thread(hearth_cli, self.hub.config_dir, *args)
                    created.append(_token_id(token.strip()))
                elif created:
                    await asyncio.to_thread(
                        hearth_cli, self.hub.config_dir, "token", "revoke", created.pop()
                    )
                self.stats.counts["cli_writes"] += 1
            except RuntimeError as err:
                self.stats.problem(f"CLI: {err}")

    def _lift_one_ban(self) -> None:
        listing = hearth_cli(self.hub.config_dir, "ban", "list")
        banned = [line.split()[0] for line in listing.splitlines() if line.startswith("127.0.1.")]
        if banned:
            hearth_cli(self.hub.config_dir, "ban", "remove", self.rng.choice(banned))


def _messages(data: str) -> list[dict[str, Any]]:
    value = json.loads(data)
    return value if isinstance(value, list) else [value]


def _token_id(token: str) -> str:
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return str(claims["iss"])
