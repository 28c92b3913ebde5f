"""Legitimate clients do not ban themselves (issue 9.7), replayed against the running hub.

A phone with six requests in flight keeps presenting a token the hub really issued: an expired
access token, a refresh token a password change revoked, a deactivated user's token, a revoked
long-lived token. Each is refused without counting toward the IP ban (threshold 5), so the phone
can log in again at once. A token that was never valid still counts. Every test uses its own
loopback source address, so they share one hub.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import time
import urllib.parse
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import pytest

from tests.acceptance.ban_support import call, wait_for
from tests.acceptance.support import (
    PASSWORD,
    USERNAME,
    HttpReply,
    RunningHub,
    create_token,
    create_user,
    free_port,
    start_hub,
    wait_listening,
    write_config,
)
from tests.acceptance.support_login import frontend_client
from tests.acceptance.support_ws import ws_auth, ws_result

pytestmark = pytest.mark.acceptance

IN_FLIGHT = 6  # more than the default threshold of 5
NEW_PASSWORD = "vermilion otter juggles quietly"


@pytest.fixture(scope="module")
def shared_hub(
    tmp_path_factory: pytest.TempPathFactory, hub_template: tuple[Path, str]
) -> Iterator[RunningHub]:
    """One hub for the module (with a second user, `kid`, and a token of theirs)."""
    folder = tmp_path_factory.mktemp("replay")
    config_dir = folder / "config"
    shutil.copytree(hub_template[0], config_dir)
    port = free_port()
    write_config(config_dir, port)
    create_user(config_dir, "kid", admin=False)
    kid_token = create_token(config_dir, "kid", "tablet")
    (folder / "kid-token").write_text(kid_token)
    log_path = folder / "hub.log"
    running = RunningHub(
        config_dir, port, hub_template[1], start_hub(config_dir, port, log_path), log_path
    )
    wait_listening(running.process, port, log_path)
    yield running
    assert running.stop() == 0, running.log()
    running.assert_clean_log()


def at_once(make: Callable[[], HttpReply]) -> list[int]:
    """IN_FLIGHT requests sent together, as a phone's app does after waking up."""
    with ThreadPoolExecutor(IN_FLIGHT) as pool:
        return sorted(reply.status for reply in pool.map(lambda _: make(), range(IN_FLIGHT)))


def post_json(hub: RunningHub, source: str, path: str, body: dict[str, Any]) -> HttpReply:
    headers = {"Content-Type": "application/json"}
    return call(
        hub, path, method="POST", source=source, body=json.dumps(body).encode(), headers=headers
    )


def token_grant(hub: RunningHub, source: str, fields: dict[str, str]) -> HttpReply:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    body = urllib.parse.urlencode(fields).encode()
    return call(hub, "/auth/token", method="POST", source=source, body=body, headers=headers)


def log_in_from(hub: RunningHub, source: str, password: str = PASSWORD) -> dict[str, Any]:
    """The frontend's login from `source`: flow, credentials, then the code for tokens."""
    client_id, redirect_uri = frontend_client(hub)
    handler = ["homeassistant", None]
    flow = post_json(
        hub,
        source,
        "/auth/login_flow",
        {"client_id": client_id, "handler": handler, "redirect_uri": redirect_uri},
    )
    assert flow.status == 200, flow
    step = post_json(
        hub,
        source,
        f"/auth/login_flow/{flow.json()['flow_id']}",
        {"client_id": client_id, "username": USERNAME, "password": password},
    )
    assert step.status == 200, step
    assert step.json()["type"] == "create_entry", step.json()
    code = step.json()["result"]
    tokens = token_grant(
        hub, source, {"grant_type": "authorization_code", "client_id": client_id, "code": code}
    )
    assert tokens.status == 200, tokens
    body: dict[str, Any] = tokens.json()
    return body


def admin_command(hub: RunningHub, msg_type: str, **fields: Any) -> dict[str, Any]:
    """One WebSocket command with the admin's long-lived token; its result message."""

    async def run() -> dict[str, Any]:
        async with aiohttp.ClientSession() as session, session.ws_connect(hub.ws_url) as ws:
            await ws_auth(ws, hub.token)
            await ws.send_json({"id": 1, "type": msg_type, **fields})
            return dict(await ws_result(ws, 1))

    return asyncio.run(run())


def expired_token(hub: RunningHub) -> str:
    """An access token signed with the admin session's real key, expired half an hour ago."""
    db = sqlite3.connect(f"{(hub.config_dir / 'hearth.db').as_uri()}?mode=ro", uri=True)
    try:
        issuer, key = db.execute(
            "SELECT id, jwt_key FROM refresh_tokens WHERE client_name = 'acceptance'"
        ).fetchone()
    finally:
        db.close()
    now = int(time.time())
    return jwt.encode({"iss": issuer, "iat": now - 4000, "exp": now - 2200}, key, "HS256")


def assert_not_banned(hub: RunningHub, source: str) -> None:
    reply = call(hub, "/api/", token=hub.token, source=source)
    assert reply.status == 200, f"{source} was banned: {reply}"


def test_an_expired_access_token_in_flight_is_not_a_guess(shared_hub: RunningHub) -> None:
    hub, source = shared_hub, "127.0.0.21"
    expired = expired_token(hub)
    statuses = at_once(lambda: call(hub, "/api/states", token=expired, source=source))
    assert statuses == [401] * IN_FLIGHT
    assert_not_banned(hub, source)
    log_in_from(hub, source)
    assert "Login failed for user '' from 127.0.0.21" not in hub.log()


def test_an_expired_token_on_the_websocket_is_not_a_guess(shared_hub: RunningHub) -> None:
    hub, source = shared_hub, "127.0.0.22"
    expired = expired_token(hub)

    async def handshake() -> str:
        connector = aiohttp.TCPConnector(local_addr=(source, 0))
        async with (
            aiohttp.ClientSession(connector=connector) as session,
            session.ws_connect(hub.ws_url) as ws,
        ):
            assert (await ws.receive_json(timeout=5))["type"] == "auth_required"
            await ws.send_json({"type": "auth", "access_token": expired})
            reply: str = (await ws.receive_json(timeout=5))["type"]
            return reply

    async def in_flight() -> list[str]:
        return await asyncio.gather(*(handshake() for _ in range(IN_FLIGHT)))

    assert asyncio.run(in_flight()) == ["auth_invalid"] * IN_FLIGHT
    assert_not_banned(hub, source)


def test_a_revoked_long_lived_token_is_not_a_guess(shared_hub: RunningHub) -> None:
    hub, source = shared_hub, "127.0.0.23"
    created = admin_command(hub, "auth/long_lived_access_token", client_name="old", lifespan=1)
    token = created["result"]
    token_id = jwt.decode(token, options={"verify_signature": False})["iss"]
    assert admin_command(hub, "auth/delete_refresh_token", refresh_token_id=token_id)["success"]
    # Its signing key is gone with it; its id is remembered as a revoked session.
    statuses = at_once(lambda: call(hub, "/api/states", token=token, source=source))
    assert statuses == [401] * IN_FLIGHT
    assert_not_banned(hub, source)


def test_a_deactivated_users_token_is_not_a_guess(shared_hub: RunningHub) -> None:
    hub, source = shared_hub, "127.0.0.24"
    token = (hub.config_dir.parent / "kid-token").read_text()
    assert call(hub, "/api/", token=token, source=source).status == 200
    users = admin_command(hub, "config/auth/list")["result"]
    kid = next(user["id"] for user in users if user["username"] == "kid")
    assert admin_command(hub, "config/auth/update", user_id=kid, is_active=False)["success"]
    statuses = at_once(lambda: call(hub, "/api/states", token=token, source=source))
    assert statuses == [401] * IN_FLIGHT
    assert_not_banned(hub, source)


def test_a_refresh_token_revoked_by_a_password_change_is_not_a_guess(
    shared_hub: RunningHub,
) -> None:
    hub, source = shared_hub, "127.0.0.25"
    old = log_in_from(hub, source)
    changed = admin_command(
        hub,
        "config/auth_provider/homeassistant/change_password",
        current_password=PASSWORD,
        new_password=NEW_PASSWORD,
    )
    assert changed["success"], changed
    client_id, _ = frontend_client(hub)
    refresh = {
        "grant_type": "refresh_token",
        "client_id": client_id,
        "refresh_token": old["refresh_token"],
    }
    statuses = at_once(lambda: token_grant(hub, source, refresh))
    assert statuses == [400] * IN_FLIGHT
    assert token_grant(hub, source, refresh).json() == {"error": "invalid_grant"}
    # Not banned: the phone logs in with the new password at once.
    log_in_from(hub, source, NEW_PASSWORD)
    assert "from 127.0.0.25: invalid_refresh_token" not in hub.log()
    restored = admin_command(
        hub,
        "config/auth_provider/homeassistant/change_password",
        current_password=NEW_PASSWORD,
        new_password=PASSWORD,
    )
    assert restored["success"], restored


def test_a_token_that_was_never_valid_still_counts(shared_hub: RunningHub) -> None:
    hub, source = shared_hub, "127.0.0.26"
    forged = jwt.encode({"iss": "0" * 32, "iat": 1, "exp": 2**40}, "a guessed key" * 4, "HS256")
    statuses = at_once(lambda: call(hub, "/api/states", token=forged, source=source))
    assert statuses.count(401) >= 5
    wait_for(lambda: call(hub, "/api/", token=hub.token, source=source).status == 403, "the ban")
    line = "Login failed for user '' from 127.0.0.26: invalid_access_token"
    wait_for(lambda: line in hub.log(), "the failure lines")  # logged from a thread of its own
    assert_not_banned(hub, "127.0.0.27")


def test_a_revoked_token_in_use_is_refused_at_once(shared_hub: RunningHub) -> None:
    """Validated access tokens are cached (issue 14); revoking their session must end that at
    once, with no wait for the cache to expire: the very next request gets 401."""
    hub, source = shared_hub, "127.0.0.28"
    long_lived = admin_command(
        hub, "auth/long_lived_access_token", client_name="in use", lifespan=1
    )
    session = log_in_from(hub, source)["access_token"]
    for token in (long_lived["result"], session):
        for _ in range(2):  # validated, then served from the cache
            assert call(hub, "/api/", token=token, source=source).status == 200
        token_id = jwt.decode(token, options={"verify_signature": False})["iss"]
        assert admin_command(hub, "auth/delete_refresh_token", refresh_token_id=token_id)["success"]
        assert call(hub, "/api/", token=token, source=source).status == 401
        assert call(hub, "/api/states", token=token, source=source).status == 401

        async def handshake(token: str = token) -> str:
            async with aiohttp.ClientSession() as client, client.ws_connect(hub.ws_url) as ws:
                assert (await ws.receive_json(timeout=5))["type"] == "auth_required"
                await ws.send_json({"type": "auth", "access_token": token})
                reply: str = (await ws.receive_json(timeout=5))["type"]
                return reply

        assert asyncio.run(handshake()) == "auth_invalid"
    assert_not_banned(hub, source)
