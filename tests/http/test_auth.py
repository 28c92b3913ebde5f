"""The auth check: every non-public route needs a valid bearer token."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

Client = TestClient[Any, Any]


async def test_public_route_needs_no_token(http_client: Client) -> None:
    resp = await http_client.get("/open")
    assert resp.status == 200
    assert await resp.json() == {"open": True}


async def test_missing_token_is_401_json(http_client: Client) -> None:
    resp = await http_client.get("/private")
    assert resp.status == 401
    assert resp.headers["WWW-Authenticate"] == "Bearer"
    assert resp.content_type == "application/json"
    assert await resp.json() == {"message": "Missing access token."}


@pytest.mark.parametrize(
    "header",
    [
        "Bearer not-a-token",
        "Bearer eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0.",
        "Bearer " + "a" * 5000,
        "Basic YWRtaW46YWRtaW4=",
        "Bearer",
        "Bearer ",
        "bearer\tfoo",
        "Token abc",
    ],
)
async def test_invalid_credentials_are_401(http_client: Client, header: str) -> None:
    resp = await http_client.get("/private", headers={"Authorization": header})
    assert resp.status == 401
    body = await resp.json()
    assert body["message"] in {"Missing access token.", "Invalid access token."}


async def test_valid_token_reaches_view(http_client: Client, user_token: str) -> None:
    resp = await http_client.get("/private", headers={"Authorization": f"Bearer {user_token}"})
    assert resp.status == 200
    assert await resp.json() == {"user": "resident"}


async def test_scheme_is_case_insensitive(http_client: Client, user_token: str) -> None:
    resp = await http_client.get("/private", headers={"Authorization": f"bEaReR {user_token}"})
    assert resp.status == 200


async def test_admin_route_refuses_non_admin_with_403(http_client: Client, user_token: str) -> None:
    resp = await http_client.get("/admin", headers={"Authorization": f"Bearer {user_token}"})
    assert resp.status == 403
    assert await resp.json() == {"message": "This action requires an administrator."}


async def test_admin_route_admits_admin(http_client: Client, admin_token: str) -> None:
    resp = await http_client.get("/admin", headers={"Authorization": f"Bearer {admin_token}"})
    assert resp.status == 200
    assert await resp.json() == {"admin": "admin"}


async def test_unknown_route_is_404_not_401(http_client: Client) -> None:
    resp = await http_client.get("/no/such/route")
    assert resp.status == 404
    assert await resp.json() == {"message": "Not Found"}


async def test_token_of_a_revoked_refresh_token_is_refused(
    http_client: Client, auth: Any, plain_user: Any
) -> None:
    refresh_token, _ = await auth.create_refresh_token(plain_user)
    access = auth.create_access_token(refresh_token)
    headers = {"Authorization": f"Bearer {access}"}
    assert (await http_client.get("/private", headers=headers)).status == 200
    assert await auth.remove_refresh_token(refresh_token.id)
    assert (await http_client.get("/private", headers=headers)).status == 401
