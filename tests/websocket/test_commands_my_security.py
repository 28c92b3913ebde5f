"""hearth/password/strength and auth/regenerate_recovery_codes over a live WebSocket."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestClient

from hearth.http.keys import KEY_AUDIT
from tests.websocket.conftest import WsClient
from tests.websocket.test_commands_mfa import enrol, now_code

Client = TestClient[web.Request, web.Application]


async def test_strength_verdicts(user_ws: WsClient) -> None:
    weak = await user_ws.ok("hearth/password/strength", password="password1234")
    assert weak["acceptable"] is False
    assert "password1234" not in weak["message"]
    assert (await user_ws.ok("hearth/password/strength", password="resident-horse-9"))[
        "acceptable"
    ] is False  # contains the username
    strong = await user_ws.ok("hearth/password/strength", password="violet tractor umbrella")
    assert strong == {"acceptable": True, "message": "Strong enough."}


async def test_new_recovery_codes_need_a_current_app_code(
    user_ws: WsClient, client: Client
) -> None:
    secret, old = await enrol(user_ws)
    wrong = await user_ws.error("auth/regenerate_recovery_codes", code="000000")
    assert wrong["code"] == "invalid_code"
    # An old recovery code cannot be traded for ten new ones.
    traded = await user_ws.error("auth/regenerate_recovery_codes", code=old[0])
    assert traded["code"] == "invalid_code"
    new = (await user_ws.ok("auth/regenerate_recovery_codes", code=now_code(secret, 1)))[
        "recovery_codes"
    ]
    assert len(new) == 10
    assert not set(new) & set(old)
    status = await user_ws.ok("auth/mfa_status")
    assert status["recovery_codes_left"] == 10
    # The same app code again is a replay.
    replay = await user_ws.error("auth/regenerate_recovery_codes", code=now_code(secret, 1))
    assert replay["code"] == "invalid_code"
    events = [entry.event for entry in await client.app[KEY_AUDIT].query()]
    assert "recovery_codes_regenerated" in events


async def test_without_mfa_there_is_nothing_to_regenerate(user_ws: WsClient) -> None:
    refused = await user_ws.error("auth/regenerate_recovery_codes", code="123456")
    assert refused["code"] == "not_found"
