"""audit/log over a live WebSocket: admins only, filters, strict `since`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from hearth.auth.models import User
from hearth.http.keys import KEY_AUDIT
from tests.websocket.conftest import WsClient

Client = TestClient[web.Request, web.Application]


@pytest.fixture
def entries(client: Client, plain_user: User) -> None:
    log = client.app[KEY_AUDIT]
    now = datetime.now(UTC)
    log.record("login_failed", username="resident", ip="203.0.113.9", at=now - timedelta(days=3))
    log.record("login", user_id=plain_user.id, username="resident", at=now - timedelta(hours=2))
    log.record("token_created", user_id="other", username="someone", details={"name": "x"})


@pytest.mark.usefixtures("entries")
async def test_admin_reads_the_log(admin_ws: WsClient) -> None:
    result = await admin_ws.ok("audit/log")
    ids = [entry["id"] for entry in result]
    assert ids == sorted(ids, reverse=True)  # newest first
    ours = [(e["event"], e["ip"]) for e in result if e["username"] in ("resident", "someone")]
    assert ("login_failed", "203.0.113.9") in ours
    assert [event for event, _ in ours if event != "user_created"][:3] == [
        "token_created",
        "login",
        "login_failed",
    ]
    assert {"id", "at", "event", "user_id", "username", "ip", "user_agent", "details"} <= set(
        result[0]
    )


@pytest.mark.usefixtures("entries")
async def test_filters(admin_ws: WsClient, plain_user: User) -> None:
    recent = await admin_ws.ok("audit/log", since="1d", event="login")
    assert [e["user_id"] for e in recent] == [plain_user.id]
    mine = await admin_ws.ok("audit/log", user="Resident")
    assert {e["event"] for e in mine} >= {"login", "login_failed"}
    assert "token_created" not in {e["event"] for e in mine}
    by_id = await admin_ws.ok("audit/log", user_id="other")
    assert [e["event"] for e in by_id] == ["token_created"]
    iso = (datetime.now(UTC) - timedelta(days=4)).isoformat()
    assert len(await admin_ws.ok("audit/log", since=iso, user="resident")) >= 2
    assert len(await admin_ws.ok("audit/log", limit=1)) == 1


async def test_non_admin_is_refused(user_ws: WsClient) -> None:
    assert (await user_ws.error("audit/log"))["code"] == "unauthorized"


@pytest.mark.parametrize(
    "fields",
    [
        {"since": "yesterday"},
        {"since": "7 days"},
        {"since": "-1d"},
        {"since": "1y"},
        {"since": "9" * 65},
        {"since": 7},
        {"limit": 0},
        {"limit": 10_001},
        {"limit": "10"},
        {"user": "x" * 201},
        {"nonsense": 1},
    ],
)
async def test_bad_filters_are_invalid_format(
    admin_ws: WsClient, fields: dict[str, object]
) -> None:
    error = await admin_ws.error("audit/log", **fields)
    assert error["code"] == "invalid_format"
    assert "\n" not in error["message"]


@pytest.mark.usefixtures("entries")
async def test_filter_by_address(admin_ws: WsClient) -> None:
    result = await admin_ws.ok("audit/log", ip="203.0.113.9")
    assert [entry["event"] for entry in result] == ["login_failed"]
    assert await admin_ws.ok("audit/log", ip="198.51.100.1") == []
