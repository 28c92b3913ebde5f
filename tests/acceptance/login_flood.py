"""A login flood for the load test, run as its own process: `python login_flood.py PORT SECONDS
ADDRESSES TASKS` sends wrong logins from 127.0.0.2.. and prints the status counts as JSON."""

from __future__ import annotations

import asyncio
import json
import secrets
import sys
import time

import aiohttp


async def worker(
    session: aiohttp.ClientSession, base: str, deadline: float, statuses: list[int]
) -> None:
    client_id, redirect_uri = f"{base}/", f"{base}/?auth_callback=1"
    while time.monotonic() < deadline:
        async with session.post(
            f"{base}/auth/login_flow",
            json={
                "client_id": client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": redirect_uri,
            },
        ) as resp:
            statuses.append(resp.status)
            if resp.status != 200:
                continue
            flow_id = (await resp.json())["flow_id"]
        async with session.post(
            f"{base}/auth/login_flow/{flow_id}",
            json={
                "client_id": client_id,
                "username": "flood-" + secrets.token_hex(4),
                "password": "wrong " + secrets.token_hex(8),
            },
        ) as resp:
            statuses.append(resp.status)
            await resp.read()


async def main(port: int, seconds: float, addresses: int, tasks: int) -> None:
    base = f"http://127.0.0.1:{port}"
    statuses: list[int] = []
    deadline = time.monotonic() + seconds
    sessions = [
        aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(local_addr=(f"127.0.0.{n + 2}", 0), limit=0)
        )
        for n in range(addresses)
    ]
    try:
        await asyncio.gather(
            *(worker(s, base, deadline, statuses) for s in sessions for _ in range(tasks))
        )
    finally:
        for session in sessions:
            await session.close()
    print(json.dumps({str(s): statuses.count(s) for s in set(statuses)}))


if __name__ == "__main__":
    port, seconds, addresses, tasks = sys.argv[1:5]
    asyncio.run(main(int(port), float(seconds), int(addresses), int(tasks)))
