"""POST /auth/token (both grants) and POST /auth/revoke, as Home Assistant's clients use them."""

from __future__ import annotations

import pytest

from hearth.auth.manager import AuthManager
from hearth.auth.models import User

from .conftest import Client, client_id, log_in, tokens


async def test_authorization_code_grant(client: Client, alice: User, auth: AuthManager) -> None:
    resp = await client.post(
        "/auth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": client_id(client),
            "code": await log_in(client),
        },
    )
    assert resp.status == 200
    assert resp.headers["Cache-Control"] == "no-store"
    body = await resp.json()
    assert set(body) == {
        "access_token",
        "token_type",
        "refresh_token",
        "expires_in",
        "ha_auth_provider",
    }
    assert (body["token_type"], body["expires_in"], body["ha_auth_provider"]) == (
        "Bearer",
        1800,
        "homeassistant",
    )
    api = await client.get("/api/", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert api.status == 200
    await auth.db.flush()  # the last use is bookkeeping, committed in batches
    (session,) = auth.list_refresh_tokens(alice.id)
    assert session.client_id == client_id(client)
    assert session.last_used_ip == "127.0.0.1"


async def test_code_is_bound_to_its_client(client: Client, alice: User) -> None:
    code = await log_in(client)
    other = "http://other.example/"
    data = {"grant_type": "authorization_code", "client_id": other, "code": code}
    assert (await client.post("/auth/token", data=data)).status == 400
    data["client_id"] = client_id(client)
    # Presented by another client, the code is spent.
    assert (await client.post("/auth/token", data=data)).status == 400


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"grant_type": "authorization_code", "code": "x"}, "invalid_request"),
        ({"grant_type": "authorization_code", "client_id": "CLIENT"}, "invalid_request"),
        (
            {"grant_type": "authorization_code", "client_id": "CLIENT", "code": "nope"},
            "invalid_request",
        ),
        ({"grant_type": "refresh_token", "client_id": "CLIENT"}, "invalid_request"),
        (
            {"grant_type": "refresh_token", "client_id": "CLIENT", "refresh_token": "nope"},
            "invalid_grant",
        ),
        ({"grant_type": "password", "username": "alice"}, "unsupported_grant_type"),
        ({}, "unsupported_grant_type"),
    ],
)
async def test_bad_grants(client: Client, alice: User, data: dict[str, str], error: str) -> None:
    sent = {k: client_id(client) if v == "CLIENT" else v for k, v in data.items()}
    resp = await client.post("/auth/token", data=sent)
    assert resp.status == 400
    assert (await resp.json())["error"] == error


async def test_json_body_is_not_a_grant(client: Client, alice: User) -> None:
    resp = await client.post("/auth/token", json={"grant_type": "refresh_token"})
    assert resp.status == 400
    assert await resp.json() == {"error": "unsupported_grant_type"}


async def test_refresh_grant(client: Client, alice: User, auth: AuthManager) -> None:
    first = await tokens(client, await log_in(client))
    resp = await client.post(
        "/auth/token",
        data={
            "grant_type": "refresh_token",
            "client_id": client_id(client),
            "refresh_token": first["refresh_token"],
        },
    )
    assert resp.status == 200
    assert resp.headers["Cache-Control"] == "no-store"
    body = await resp.json()
    # Without rotation the refresh token stays the same and is not sent again (as HA).
    assert set(body) == {"access_token", "token_type", "expires_in", "ha_auth_provider"}
    api = await client.get("/api/", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert api.status == 200
    await auth.db.flush()
    assert auth.list_refresh_tokens(alice.id)[0].last_used_at is not None


async def test_refresh_needs_the_same_client_id(client: Client, alice: User) -> None:
    first = await tokens(client, await log_in(client))
    resp = await client.post(
        "/auth/token",
        data={
            "grant_type": "refresh_token",
            "client_id": "http://other.example/",
            "refresh_token": first["refresh_token"],
        },
    )
    assert resp.status == 400
    assert await resp.json() == {"error": "invalid_request"}


async def test_refresh_for_an_inactive_user_is_denied(
    client: Client, alice: User, auth: AuthManager
) -> None:
    first = await tokens(client, await log_in(client))
    await auth.update_user(alice.id, is_active=False)
    resp = await client.post(
        "/auth/token",
        data={
            "grant_type": "refresh_token",
            "client_id": client_id(client),
            "refresh_token": first["refresh_token"],
        },
    )
    # As Home Assistant: 403 access_denied, and not counted as a failed login.
    assert resp.status == 403
    assert await resp.json() == {
        "error": "access_denied",
        "error_description": "User is not active",
    }


async def test_revoke(client: Client, alice: User) -> None:
    first = await tokens(client, await log_in(client))
    headers = {"Authorization": f"Bearer {first['access_token']}"}
    resp = await client.post("/auth/revoke", data={"token": first["refresh_token"]})
    assert resp.status == 200
    assert resp.headers["Cache-Control"] == "no-store"
    assert (await client.get("/api/", headers=headers)).status == 401
    refresh = await client.post(
        "/auth/token",
        data={
            "grant_type": "refresh_token",
            "client_id": client_id(client),
            "refresh_token": first["refresh_token"],
        },
    )
    assert (await refresh.json())["error"] == "invalid_grant"


async def test_revoke_by_access_token_and_old_action(client: Client, alice: User) -> None:
    first = await tokens(client, await log_in(client))
    assert (await client.post("/auth/revoke", data={"token": first["access_token"]})).status == 200
    assert (
        await client.get("/api/", headers={"Authorization": f"Bearer {first['access_token']}"})
    ).status == 401
    second = await tokens(client, await log_in(client))
    resp = await client.post(
        "/auth/token", data={"action": "revoke", "token": second["refresh_token"]}
    )
    assert resp.status == 200
    assert (
        await client.get("/api/", headers={"Authorization": f"Bearer {second['access_token']}"})
    ).status == 401


@pytest.mark.parametrize("data", [{}, {"token": ""}, {"token": "garbage"}, {"token": "x" * 9000}])
async def test_revoke_always_answers_200(client: Client, data: dict[str, str]) -> None:
    resp = await client.post("/auth/revoke", data=data)
    assert resp.status == 200
    assert await resp.read() == b""
