"""GET and POST /auth/authorize: the login page, its steps, and the redirect with the code."""

from __future__ import annotations

import time
from typing import Any

import pytest
from aiohttp import web
from yarl import URL

from hearth.auth.manager import AuthManager
from hearth.auth.mfa import codes as mfa_codes
from hearth.auth.mfa.manager import MfaManager
from hearth.auth.models import User
from hearth.http.keys import KEY_MFA

from .conftest import PASSWORD, Client, assert_strict_page

STATE = "state-123"


def params(client: Client, **changes: str) -> dict[str, str]:
    origin = str(client.make_url("/"))
    return {
        "response_type": "code",
        "client_id": origin,
        "redirect_uri": origin + "?auth_callback=1",
        "state": STATE,
        **changes,
    }


def hidden(text: str, name: str) -> str:
    marker = f'name="{name}" value="'
    start = text.index(marker) + len(marker)
    return text[start : text.index('"', start)]


async def submit(client: Client, data: dict[str, Any]) -> tuple[int, str, str | None]:
    resp = await client.post("/auth/authorize", data=data, allow_redirects=False)
    return resp.status, await resp.text(), resp.headers.get("Location")


async def test_redirects_to_onboarding_first(client: Client) -> None:
    resp = await client.get("/auth/authorize", params=params(client), allow_redirects=False)
    assert (resp.status, resp.headers["Location"]) == (302, "/onboarding")


async def test_page(client: Client, alice: User) -> None:
    resp = await client.get("/auth/authorize", params=params(client))
    text = await resp.text()
    assert resp.status == 200
    assert_strict_page(text, resp.headers)
    assert 'autocomplete="current-password"' in text
    origin = str(client.make_url("/")).rstrip("/")
    assert f"form-action 'self' {origin}" in resp.headers["Content-Security-Policy"]


async def test_login_redirects_with_code_and_state(
    client: Client, alice: User, app: web.Application
) -> None:
    data = {**params(client), "username": "alice", "password": PASSWORD}
    status, _, location = await submit(client, data)
    assert status == 302
    assert location is not None
    target = URL(location)
    assert target.query["auth_callback"] == "1"
    assert target.query["state"] == STATE
    token = await client.post(
        "/auth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": params(client)["client_id"],
            "code": target.query["code"],
        },
    )
    assert token.status == 200


async def test_wrong_password(
    client: Client, alice: User, caplog: pytest.LogCaptureFixture
) -> None:
    status, text, _ = await submit(
        client, {**params(client), "username": "alice", "password": "not the password"}
    )
    assert status == 200
    assert "Wrong username or password." in text
    assert "not the password" not in text
    assert "Login failed for user 'alice' from 127.0.0.1: invalid_auth" in caplog.text


@pytest.mark.parametrize(
    "changes",
    [
        {"redirect_uri": "http://evil.example/"},
        {"client_id": "javascript:alert(1)"},
        {"state": "x" * 5000},
        {"client_id": ""},
    ],
)
async def test_bad_parameters(client: Client, alice: User, changes: dict[str, str]) -> None:
    resp = await client.get("/auth/authorize", params=params(client, **changes))
    assert resp.status == 400
    text = await resp.text()
    assert "evil.example" not in text
    posted, _, _ = await submit(
        client, {**params(client, **changes), "username": "a", "password": "b"}
    )
    assert posted == 400


async def test_state_is_escaped(client: Client, alice: User) -> None:
    attack = '"><script>alert(1)</script>'
    resp = await client.get("/auth/authorize", params=params(client, state=attack))
    text = await resp.text()
    assert "<script>alert" not in text
    assert hidden(text, "state") == "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"


async def test_mfa_steps(
    client: Client, alice: User, app: web.Application, auth: AuthManager
) -> None:
    mfa: MfaManager = app[KEY_MFA]
    setup = await mfa.begin_totp_setup(alice)
    now = time.time()
    codes = await mfa.activate_totp(
        alice.id, setup.setup_id, mfa_codes.code_at(setup.secret, mfa_codes.time_step(now))
    )
    status, text, _ = await submit(
        client, {**params(client), "username": "alice", "password": PASSWORD}
    )
    assert status == 200
    assert "Two-step verification" in text
    flow_id = hidden(text, "flow_id")
    status, text, _ = await submit(client, {**params(client), "flow_id": flow_id, "code": "000000"})
    assert "That code is not valid" in text
    status, _, location = await submit(
        client, {**params(client), "flow_id": flow_id, "code": codes[0]}
    )
    assert status == 302
    assert location is not None
    assert "code=" in location


async def test_expired_flow_starts_over(client: Client, alice: User) -> None:
    status, text, _ = await submit(client, {**params(client), "flow_id": "gone", "code": "1"})
    assert status == 400
    assert "Start again" in text


async def test_keep_me_logged_in_reaches_the_frontend(
    client: Client, alice: User, app: web.Application
) -> None:
    """Ticked, the redirect carries storeToken=true (the dashboard then keeps its tokens across
    reloads); not ticked, it does not; through an MFA step it is carried in the form."""
    page = await (await client.get("/auth/authorize", params=params(client))).text()
    assert '<input type="checkbox" name="store_token" value="true">' in page
    _, _, plain = await submit(
        client, {**params(client), "username": "alice", "password": PASSWORD}
    )
    assert plain is not None
    assert "storeToken" not in URL(plain).query
    _, _, kept = await submit(
        client,
        {**params(client), "username": "alice", "password": PASSWORD, "store_token": "true"},
    )
    assert kept is not None
    assert URL(kept).query["storeToken"] == "true"

    mfa: MfaManager = app[KEY_MFA]
    setup = await mfa.begin_totp_setup(alice)
    codes = await mfa.activate_totp(
        alice.id, setup.setup_id, mfa_codes.code_at(setup.secret, mfa_codes.time_step(time.time()))
    )
    fields = {**params(client), "username": "alice", "password": PASSWORD, "store_token": "true"}
    _, text, _ = await submit(client, fields)
    assert hidden(text, "store_token") == "true"
    _, _, location = await submit(
        client,
        {
            **params(client),
            "flow_id": hidden(text, "flow_id"),
            "code": codes[0],
            "store_token": "true",
        },
    )
    assert location is not None
    assert URL(location).query["storeToken"] == "true"
