"""Acknowledged security writes reach the disk before the answer (issue 10.4), seen with strace.

kill -9 cannot show it (the page cache survives a killed process, not a power loss): each token
creation and revocation acknowledged to a client must have synced the write-ahead log.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import signal
import subprocess
from pathlib import Path

import aiohttp
import jwt
import pytest

from tests.acceptance.support import HubFactory, RunningHub
from tests.acceptance.support_ws import ws_auth, ws_result

pytestmark = pytest.mark.acceptance

WAL_SYNC = re.compile(r"f(?:data)?sync\(\d+<[^>]*hearth\.db-wal>\)\s*=\s*0")
CREATED = 5
REVOKED = 3


async def acknowledged_writes(hub: RunningHub) -> int:
    """Create tokens and revoke some, one at a time; how many writes were acknowledged."""
    done = 0
    async with aiohttp.ClientSession() as session, session.ws_connect(hub.ws_url) as ws:
        await ws_auth(ws, hub.token)
        ids = []
        for n in range(1, CREATED + 1):
            await ws.send_json(
                {
                    "id": n,
                    "type": "auth/long_lived_access_token",
                    "client_name": f"t{n}",
                    "lifespan": 1,
                }
            )
            reply = await ws_result(ws, n)
            assert reply["success"], reply
            ids.append(jwt.decode(str(reply["result"]), options={"verify_signature": False})["iss"])
            done += 1
        for n, token_id in enumerate(ids[:REVOKED], start=CREATED + 1):
            await ws.send_json(
                {"id": n, "type": "auth/delete_refresh_token", "refresh_token_id": token_id}
            )
            assert (await ws_result(ws, n))["success"]
            done += 1
    return done


def test_every_acknowledged_write_synced_the_log(hub_factory: HubFactory, tmp_path: Path) -> None:
    if shutil.which("strace") is None:
        pytest.skip("strace is not installed")
    hub = hub_factory()
    trace = tmp_path / "strace.out"
    tracer = subprocess.Popen(
        # -f with -p: every thread of the hub (the writer thread syncs the log).
        [
            "strace",
            "-f",
            "-y",
            "-e",
            "trace=fsync,fdatasync",
            "-o",
            str(trace),
            "-p",
            str(hub.process.pid),
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert tracer.stderr is not None
    try:
        line = tracer.stderr.readline()
        if "attached" not in line:
            pytest.skip(f"cannot trace the hub here: {line.strip()}")
        acknowledged = asyncio.run(acknowledged_writes(hub))
    finally:
        tracer.send_signal(signal.SIGINT)
        tracer.wait(timeout=10)
        tracer.stderr.close()
    syncs = WAL_SYNC.findall(trace.read_text())
    assert len(syncs) >= acknowledged == CREATED + REVOKED, trace.read_text()
