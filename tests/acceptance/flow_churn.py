"""Login-flow churn for the acceptance tests, run as its own process: `python flow_churn.py PORT
SECONDS ADDRESSES TASKS MAX_FLOWS` begins flows (and nothing else) from 127.0.5.1.. as fast as it
can, until SECONDS pass, MAX_FLOWS were begun or SIGTERM arrives, then prints the status counts
as JSON."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
from collections import Counter

import aiohttp


async def worker(
    session: aiohttp.ClientSession,
    base: str,
    deadline: float,
    budget: list[int],
    seen: Counter[int],
) -> None:
    body = {
        "client_id": f"{base}/",
        "handler": ["homeassistant", None],
        "redirect_uri": f"{base}/?auth_callback=1",
    }
    while time.monotonic() < deadline and budget[0] > 0:
        budget[0] -= 1
        async with session.post(f"{base}/auth/login_flow", json=body) as resp:
            seen[resp.status] += 1
            await resp.read()


async def main(port: int, seconds: float, addresses: int, tasks: int, max_flows: int) -> None:
    base = f"http://127.0.0.1:{port}"
    seen: Counter[int] = Counter()
    budget = [max_flows]
    deadline = time.monotonic() + seconds
    # SIGTERM ends the churn early, still printing what it saw.
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, budget.__setitem__, 0, 0)
    sessions = [
        aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(local_addr=(f"127.0.5.{n + 1}", 0), limit=0)
        )
        for n in range(addresses)
    ]
    print("started", flush=True)
    try:
        await asyncio.gather(
            *(worker(s, base, deadline, budget, seen) for s in sessions for _ in range(tasks))
        )
    finally:
        for session in sessions:
            await session.close()
    print(json.dumps({str(status): count for status, count in seen.items()}), flush=True)


if __name__ == "__main__":
    port, seconds, addresses, tasks, max_flows = sys.argv[1:6]
    asyncio.run(main(int(port), float(seconds), int(addresses), int(tasks), int(max_flows)))
