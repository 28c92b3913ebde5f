"""Bounded tokens and audit log (issue 9.15), against the running hub.

A user without admin rights cannot create long-lived tokens without end: beyond the cap they are
refused, a login beyond the session cap retires the least recently used session, creations beyond
the per-minute rate are refused, and the audit log is pruned in the background.
"""

from __future__ import annotations

import asyncio
import time
import urllib.parse
from datetime import datetime
from typing import Any

import aiohttp
import pytest

from tests.acceptance.support import (
    HubFactory,
    RunningHub,
    create_token,
    create_user,
    request,
)
from tests.acceptance.support_login import frontend_client, log_in
from tests.acceptance.support_ws import ws_auth, ws_result

pytestmark = pytest.mark.acceptance

LIMITS = """auth:
  max_long_lived_tokens_per_user: 3
  max_sessions_per_user: 2
  token_creations_per_minute: 6
  audit_log_retention: 2s
  audit_log_max_rows: 10
"""


async def ws_commands(hub: RunningHub, token: str, commands: list[dict[str, Any]]) -> list[Any]:
    async with aiohttp.ClientSession() as session, session.ws_connect(hub.ws_url) as ws:
        await ws_auth(ws, token)
        results = []
        for n, command in enumerate(commands, start=1):
            await ws.send_json({"id": n, **command})
            results.append(await ws_result(ws, n))
        return results


def grant(hub: RunningHub, fields: dict[str, str]) -> tuple[int, dict[str, Any]]:
    client_id, _ = frontend_client(hub)
    reply = request(
        hub,
        "POST",
        "/auth/token",
        body=urllib.parse.urlencode({"client_id": client_id, **fields}).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    body: dict[str, Any] = reply.json()
    return reply.status, body


def new_session(hub: RunningHub) -> tuple[int, dict[str, Any]]:
    return grant(hub, {"grant_type": "authorization_code", "code": log_in(hub, "guest")})


def test_caps_rate_and_audit_pruning(hub_factory: HubFactory) -> None:
    hub = hub_factory(LIMITS)
    create_user(hub.config_dir, "guest", admin=False)
    guest = create_token(hub.config_dir, "guest", "first")  # 1 of 3 long-lived tokens

    # Long-lived tokens: two more, then a clear refusal.
    made = asyncio.run(
        ws_commands(
            hub,
            guest,
            [
                {"type": "auth/long_lived_access_token", "client_name": n, "lifespan": 1}
                for n in ("second", "third", "fourth")
            ],
        )
    )
    assert [m["success"] for m in made] == [True, True, False]
    assert made[2]["error"]["code"] == "conflict"
    assert "max_long_lived_tokens_per_user" in made[2]["error"]["message"]

    # Sessions: a third login retires the least recently used one (no lock-out, no ban).
    first = new_session(hub)[1]
    assert new_session(hub)[0] == 200
    assert new_session(hub)[0] == 200
    retired = grant(hub, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert retired == (400, {"error": "invalid_grant"})

    # Six creations in this minute (three tokens, three sessions): the next one waits.
    status, body = new_session(hub)
    assert status == 429, body
    assert "in the last minute" in body["message"]
    assert request(hub, "GET", "/api/", token=guest).status == 200  # not banned, just slowed

    # The audit log keeps at most 10 entries, none older than 2 s (pruned every 0.5 s).
    time.sleep(3)
    assert request(hub, "GET", "/api/", token="never.valid.token").status == 401
    deadline = time.monotonic() + 10
    while True:
        (entries,) = asyncio.run(
            ws_commands(hub, hub.token, [{"type": "audit/log", "limit": 1000}])
        )
        listed = entries["result"]
        ages = [time.time() - datetime.fromisoformat(e["at"]).timestamp() for e in listed]
        if len(listed) <= 10 and max(ages) < 2.0 + 1.5:
            break
        assert time.monotonic() < deadline, listed
        time.sleep(0.5)
    assert listed[0]["event"] == "login_failed"
