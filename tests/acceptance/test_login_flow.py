"""The login flow against the real hub, driven over HTTP as Home Assistant's frontend and
companion apps drive it; then the tokens on REST and WebSocket, refresh, revoke, onboarding."""

from __future__ import annotations

import asyncio
import http.client
import json
import re
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pyotp
import pytest

from tests.acceptance.support import PASSWORD, USERNAME, HubFactory, RunningHub, request
from tests.acceptance.support_login import (
    begin_flow,
    exchange,
    flow_step,
    fresh_hub,
    frontend_client,
    log_in,
    post_form,
    post_json,
    wait_for_setup_code,
)
from tests.acceptance.support_ws import expect_closed, ws_auth, ws_result

pytestmark = pytest.mark.acceptance

ANDROID = "https://home-assistant.io/android"
APP_CALLBACK = "homeassistant://auth-callback"


@pytest.fixture
def new_hub(tmp_path: Path) -> Iterator[RunningHub]:
    yield from fresh_hub(tmp_path)


async def test_frontend_login_then_rest_websocket_refresh_and_revoke(hub: RunningHub) -> None:
    providers = request(hub, "GET", "/auth/providers").json()
    assert providers["providers"][0]["type"] == "homeassistant"

    # A wrong password first: HTTP 200 with errors.base = invalid_auth, as HA answers.
    flow = begin_flow(hub)
    assert flow["step_id"] == "init"
    wrong = flow_step(hub, flow["flow_id"], username=USERNAME, password="not the password")
    assert wrong.status == 200
    assert wrong.json()["errors"] == {"base": "invalid_auth"}
    right = flow_step(hub, flow["flow_id"], username=USERNAME.upper(), password=PASSWORD).json()
    assert right["type"] == "create_entry"
    got = exchange(hub, right["result"])
    assert (got["token_type"], got["expires_in"]) == ("Bearer", 1800)

    reply = request(hub, "GET", "/api/", token=got["access_token"])
    assert reply.json() == {"message": "API running."}

    # The refresh grant gives a new access token that works too.
    client_id, _ = frontend_client(hub)
    refreshed = post_form(
        hub,
        "/auth/token",
        {
            "grant_type": "refresh_token",
            "client_id": client_id,
            "refresh_token": got["refresh_token"],
        },
    )
    assert refreshed.status == 200, refreshed
    access = refreshed.json()["access_token"]
    assert request(hub, "GET", "/api/states", token=access).status == 200

    async with aiohttp.ClientSession() as session, session.ws_connect(hub.ws_url) as ws:
        await ws_auth(ws, access)
        await ws.send_json({"id": 1, "type": "auth/current_user"})
        me = await ws_result(ws, 1)
        assert me["success"] is True
        await ws.send_json({"id": 2, "type": "auth/refresh_tokens"})
        listed = await ws_result(ws, 2)
        current = [t for t in listed["result"] if t["is_current"]]  # type: ignore[union-attr]
        assert current[0]["last_used_ip"] == "127.0.0.1"

        # Revoking the refresh token closes this connection within a second.
        start = time.monotonic()
        revoked = post_form(hub, "/auth/revoke", {"token": got["refresh_token"]})
        assert revoked.status == 200
        closed = await expect_closed(ws)
        assert time.monotonic() - start < 1.0
        assert closed.extra == "Token revoked."
    assert request(hub, "GET", "/api/", token=access).status == 401
    assert "Login failed for user 'admin' from 127.0.0.1: invalid_auth" in hub.log()
    assert PASSWORD not in hub.log()


def test_companion_app_login_through_the_authorize_page(hub: RunningHub) -> None:
    query = urllib.parse.urlencode(
        {"response_type": "code", "client_id": ANDROID, "redirect_uri": APP_CALLBACK, "state": "s1"}
    )
    page = request(hub, "GET", f"/auth/authorize?{query}")
    assert page.status == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "homeassistant:" in page.headers["content-security-policy"]
    reply = post_form(
        hub,
        "/auth/authorize",
        {
            "client_id": ANDROID,
            "redirect_uri": APP_CALLBACK,
            "state": "s1",
            "username": USERNAME,
            "password": PASSWORD,
        },
    )
    assert reply.status == 302, reply
    location = urllib.parse.urlsplit(reply.headers["location"])
    assert f"{location.scheme}://{location.netloc}" == APP_CALLBACK
    params = dict(urllib.parse.parse_qsl(location.query))
    assert params["state"] == "s1"
    tokens = post_form(
        hub,
        "/auth/token",
        {"grant_type": "authorization_code", "client_id": ANDROID, "code": params["code"]},
    )
    assert tokens.status == 200, tokens
    assert request(hub, "GET", "/api/", token=tokens.json()["access_token"]).status == 200


def test_flow_is_bound_to_its_address(hub: RunningHub) -> None:
    """A flow begun from 127.0.0.1 cannot be finished from 127.0.0.2 (another client)."""
    flow = begin_flow(hub)
    client_id, _ = frontend_client(hub)
    conn = http.client.HTTPConnection(
        "127.0.0.1", hub.port, timeout=10, source_address=("127.0.0.2", 0)
    )
    try:
        body = json.dumps({"client_id": client_id, "username": USERNAME, "password": PASSWORD})
        conn.request(
            "POST",
            f"/auth/login_flow/{flow['flow_id']}",
            body=body,
            headers={"Content-Type": "application/json"},
        )
        reply = conn.getresponse()
        assert reply.status == 400
        assert json.loads(reply.read()) == {"message": "IP address changed"}
    finally:
        conn.close()


def test_onboarding_with_the_setup_code(new_hub: RunningHub) -> None:
    code = wait_for_setup_code(new_hub.log_path)
    assert "/onboarding" in new_hub.log()
    assert request(new_hub, "GET", "/auth/providers").status == 400
    client_id, _ = frontend_client(new_hub)
    owner = {
        "client_id": client_id,
        "name": "Pat",
        "username": "pat",
        "password": PASSWORD,
        "language": "en",
    }
    wrong = post_json(new_hub, "/api/onboarding/users", {**owner, "setup_code": "AAAA-BBBB-CCCC"})
    assert wrong.status == 401
    # 'pat' is no user yet: the log shows a keyed hash of the name, never the name.
    assert re.search(
        r"Login failed for user '#[0-9a-f]{12}' from 127\.0\.0\.1: invalid_setup_code",
        new_hub.log(),
    )
    created = post_json(new_hub, "/api/onboarding/users", {**owner, "setup_code": code})
    assert created.status == 200, created
    tokens = exchange(new_hub, created.json()["auth_code"])
    assert request(new_hub, "GET", "/api/", token=tokens["access_token"]).status == 200
    again = post_json(
        new_hub, "/api/onboarding/users", {**owner, "username": "eve", "setup_code": code}
    )
    assert again.status == 403
    assert log_in(new_hub, "pat", PASSWORD)


async def test_revoke_from_another_client_closes_websocket(hub: RunningHub) -> None:
    """A second session revoked with the WebSocket command closes at once, as HA's UI does."""
    first = exchange(hub, log_in(hub))
    second = exchange(hub, log_in(hub))
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(hub.ws_url) as victim,
        session.ws_connect(hub.ws_url) as admin,
    ):
        await ws_auth(victim, second["access_token"])
        await ws_auth(admin, first["access_token"])
        await admin.send_json({"id": 1, "type": "auth/refresh_tokens"})
        listed = (await ws_result(admin, 1))["result"]
        assert isinstance(listed, list)
        other = [t for t in listed if not t["is_current"] and t["type"] == "normal"]
        start = time.monotonic()
        for token in other:
            await admin.send_json(
                {
                    "id": 2 + other.index(token),
                    "type": "auth/delete_refresh_token",
                    "refresh_token_id": token["id"],
                }
            )
        await asyncio.wait_for(expect_closed(victim), 1.0)
        assert time.monotonic() - start < 1.0


def test_required_mfa_is_set_up_at_login_then_asked(hub_factory: HubFactory) -> None:
    """`mfa_required: all`: the first login leads through TOTP setup, the next asks for a code."""
    hub = hub_factory("auth:\n  mfa_required: all\n")
    flow = begin_flow(hub)
    setup = flow_step(hub, flow["flow_id"], username=USERNAME, password=PASSWORD).json()
    assert setup["step_id"] == "mfa_setup", setup
    secret = setup["description_placeholders"]["code"]
    assert setup["description_placeholders"]["url"].startswith("otpauth://totp/")
    totp = pyotp.TOTP(secret)
    codes = flow_step(hub, flow["flow_id"], code=totp.now()).json()
    assert codes["step_id"] == "recovery_codes", codes
    recovery = codes["description_placeholders"]["recovery_codes"].split("\n")
    done = flow_step(hub, flow["flow_id"]).json()
    assert done["type"] == "create_entry", done
    assert (
        request(hub, "GET", "/api/", token=exchange(hub, done["result"])["access_token"]).status
        == 200
    )

    # The next login asks for a code; a recovery code works once (the TOTP step is spent).
    flow = begin_flow(hub)
    asked = flow_step(hub, flow["flow_id"], username=USERNAME, password=PASSWORD).json()
    assert asked["step_id"] == "mfa", asked
    wrong = flow_step(hub, flow["flow_id"], code="000000").json()
    assert wrong["errors"] == {"base": "invalid_code"}
    assert "Login failed for user 'admin' from 127.0.0.1: invalid_mfa_code" in hub.log()
    done = flow_step(hub, flow["flow_id"], code=recovery[0]).json()
    assert done["type"] == "create_entry", done
    assert secret not in hub.log()
