"""GET /api/hearth/check and the WebSocket command hearth/check: admins only, same JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from hearth.websocket import URL

SCHEMA = json.loads((Path(__file__).parents[2] / "docs" / "check-report.schema.json").read_text())
Client = TestClient[web.Request, web.Application]


@pytest.fixture
def admin_headers(admin_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {admin_token}"}


@pytest.fixture
def user_headers(user_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {user_token}"}


def valid(data: Any) -> dict[str, Any]:
    jsonschema.validate(data, SCHEMA, format_checker=jsonschema.FormatChecker())
    assert data["source"] == "hub"
    return dict(data)


async def test_admin_gets_the_report(client: Client, admin_headers: dict[str, str]) -> None:
    response = await client.get("/api/hearth/check?offline=1", headers=admin_headers)
    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"
    data = valid(await response.json())
    checks = {check["id"]: check for check in data["checks"]}
    assert checks["vulnerabilities"]["status"] == "not_checked"
    assert "probe" not in checks


async def test_non_admin_gets_403(client: Client, user_headers: dict[str, str]) -> None:
    response = await client.get("/api/hearth/check", headers=user_headers)
    assert response.status == 403
    assert "message" in await response.json()


async def test_no_token_gets_401(client: Client) -> None:
    assert (await client.get("/api/hearth/check")).status == 401


@pytest.mark.parametrize("query", ["probe=maybe", "offline=2"])
async def test_bad_flags_get_400(client: Client, admin_headers: dict[str, str], query: str) -> None:
    response = await client.get(f"/api/hearth/check?{query}", headers=admin_headers)
    assert response.status == 400
    assert "must be true or false" in (await response.json())["message"]


async def ws_command(client: Client, token: str, **message: Any) -> dict[str, Any]:
    async with client.ws_connect(URL) as ws:
        assert (await ws.receive_json())["type"] == "auth_required"
        await ws.send_json({"type": "auth", "access_token": token})
        assert (await ws.receive_json())["type"] == "auth_ok"
        await ws.send_json({"id": 1, **message})
        reply: dict[str, Any] = await ws.receive_json(timeout=30)
        return reply


async def test_websocket_admin_gets_the_same_report(client: Client, admin_token: str) -> None:
    reply = await ws_command(client, admin_token, type="hearth/check", offline=True)
    assert reply["success"] is True, reply
    data = valid(reply["result"])
    assert [c["id"] for c in data["checks"]][:3] == ["config", "process", "files"]


async def test_websocket_non_admin_is_unauthorized(client: Client, user_token: str) -> None:
    reply = await ws_command(client, user_token, type="hearth/check", offline=True)
    assert reply["success"] is False
    assert reply["error"]["code"] == "unauthorized"


async def test_websocket_refuses_unknown_fields(client: Client, admin_token: str) -> None:
    reply = await ws_command(client, admin_token, type="hearth/check", everything=True)
    assert reply["error"]["code"] == "invalid_format"
