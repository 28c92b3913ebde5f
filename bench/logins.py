"""The login flow as a client does it, timed; and a crowd of clients whose logins keep failing.

`python -m bench.logins HOST PORT CLIENTS SECONDS` runs the crowd: it prints `started`,
then after SECONDS one JSON line with attempts per second and the statuses seen.
"""

from __future__ import annotations

import asyncio
import http.client
import itertools
import sys
import time
from collections import Counter
from typing import Any
from urllib.parse import urlencode

import aiohttp
import orjson


def _client_id(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def _post(
    conn: http.client.HTTPConnection, path: str, body: bytes, content_type: str
) -> tuple[int, Any]:
    conn.request("POST", path, body=body, headers={"Content-Type": content_type})
    resp = conn.getresponse()
    data = resp.read()
    return resp.status, orjson.loads(data) if data else None


def provider_handler(host: str, port: int) -> list[Any] | None:
    """The first login provider as a login_flow handler, or None when there is no login flow."""
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        conn.request("GET", "/auth/providers")
        resp = conn.getresponse()
        data = resp.read()
    finally:
        conn.close()
    if resp.status == 404:
        return None
    providers = orjson.loads(data)
    if isinstance(providers, dict):  # newer Home Assistant shape: {"providers": [...]}
        providers = providers.get("providers", [])
    if not providers:
        return None
    first = providers[0]
    return [first["type"], first.get("id")]


def login(host: str, port: int, handler: list[Any], username: str, password: str) -> float:
    """One full login (flow, credentials, code for tokens) on one connection; its seconds."""
    client_id = _client_id(host, port)
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        began = time.perf_counter()
        start = orjson.dumps(
            {"client_id": client_id, "handler": handler, "redirect_uri": client_id}
        )
        status, flow = _post(conn, "/auth/login_flow", start, "application/json")
        if status != 200:
            raise RuntimeError(f"login_flow answered {status}: {flow}")
        step = orjson.dumps({"username": username, "password": password, "client_id": client_id})
        status, done = _post(conn, f"/auth/login_flow/{flow['flow_id']}", step, "application/json")
        if status != 200 or done.get("type") != "create_entry":
            raise RuntimeError(f"login step answered {status}: {done}")
        form = urlencode(
            {"grant_type": "authorization_code", "code": done["result"], "client_id": client_id}
        ).encode()
        status, tokens = _post(conn, "/auth/token", form, "application/x-www-form-urlencoded")
        if status != 200 or "access_token" not in tokens:
            raise RuntimeError(f"token endpoint answered {status}")
        return time.perf_counter() - began
    finally:
        conn.close()


async def attack(host: str, port: int, clients: int, seconds: float) -> dict[str, Any]:
    """`clients` loops of failing logins, each with a fresh username (no per-account delay)."""
    client_id = _client_id(host, port)
    base = client_id.rstrip("/")
    handler = provider_handler(host, port)
    statuses: Counter[str] = Counter()
    names = itertools.count()
    deadline = time.monotonic() + seconds

    async def one_client(session: aiohttp.ClientSession) -> None:
        while time.monotonic() < deadline:
            start = {"client_id": client_id, "handler": handler, "redirect_uri": client_id}
            async with session.post(f"{base}/auth/login_flow", json=start) as resp:
                flow = await resp.json(content_type=None)
                if resp.status != 200:
                    statuses[f"flow {resp.status}"] += 1
                    await asyncio.sleep(0.05)
                    continue
            step = {
                "username": f"spray{next(names)}",
                "password": "wrong" * 3,
                "client_id": client_id,
            }
            url = f"{base}/auth/login_flow/{flow['flow_id']}"
            async with session.post(url, json=step) as resp:
                reply = await resp.json(content_type=None)
                errors = (reply.get("errors") or {}) if isinstance(reply, dict) else {}
                statuses[f"{resp.status} {errors.get('base', '')}".strip()] += 1

    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:
        print("started", flush=True)
        began = time.monotonic()
        await asyncio.gather(*(one_client(session) for _ in range(clients)))
        elapsed = time.monotonic() - began
    return {"attempts_per_second": sum(statuses.values()) / elapsed, "statuses": dict(statuses)}


if __name__ == "__main__":
    host, port, clients, seconds = sys.argv[1:5]
    outcome = asyncio.run(attack(host, int(port), int(clients), float(seconds)))
    print(orjson.dumps(outcome).decode(), flush=True)
