"""Fixtures for the login endpoints: the full app over a real socket, and flow helpers."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from tests.auth.conftest import PASSWORD

Client = TestClient[web.Request, web.Application]

__all__ = ["PASSWORD", "Client", "client_id", "log_in", "redirect_uri"]


def client_id(client: Client) -> str:
    """The hub's own web client, as Home Assistant's frontend names itself."""
    return str(client.make_url("/"))


def redirect_uri(client: Client) -> str:
    return client_id(client) + "?auth_callback=1"


async def begin(client: Client, handler: str = "homeassistant") -> dict[str, Any]:
    resp = await client.post(
        "/auth/login_flow",
        json={
            "client_id": client_id(client),
            "handler": [handler, None],
            "redirect_uri": redirect_uri(client),
        },
    )
    assert resp.status == 200, await resp.text()
    body: dict[str, Any] = await resp.json()
    return body


async def step(client: Client, flow_id: str, **fields: Any) -> tuple[int, dict[str, Any]]:
    resp = await client.post(
        f"/auth/login_flow/{flow_id}", json={"client_id": client_id(client), **fields}
    )
    body: dict[str, Any] = await resp.json()
    return resp.status, body


async def log_in(client: Client, username: str = "alice", password: str = PASSWORD) -> str:
    """Run the flow as the Home Assistant frontend does; returns the authorization code."""
    flow = await begin(client)
    status, result = await step(client, flow["flow_id"], username=username, password=password)
    assert status == 200, result
    assert result["type"] == "create_entry", result
    code: str = result["result"]
    return code


async def tokens(client: Client, code: str) -> dict[str, Any]:
    """Trade a code for tokens (form-encoded, as the frontend sends it)."""
    resp = await client.post(
        "/auth/token",
        data={"grant_type": "authorization_code", "client_id": client_id(client), "code": code},
    )
    assert resp.status == 200, await resp.text()
    body: dict[str, Any] = await resp.json()
    return body


@pytest.fixture
def no_bans(monkeypatch: pytest.MonkeyPatch) -> None:
    """For tests that fail on purpose more often than the ban threshold allows."""
    monkeypatch.setattr("hearth.auth.views.login_flow.record_auth_failure", lambda *a, **k: None)
