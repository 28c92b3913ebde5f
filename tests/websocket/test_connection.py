"""Tests for hearth.websocket.connection: dispatch, errors, batching, limits, closing."""

from __future__ import annotations

import asyncio
import json
import logging

import aiohttp
import pytest
from aiohttp import web

from hearth import const
from hearth.auth.manager import AuthManager
from hearth.auth.models import User
from hearth.core.hub import Hub
from hearth.core.services import ServiceCall
from hearth.exceptions import HearthError
from hearth.websocket import KEY_WS_CONNECTIONS, URL, connection, protocol
from tests.websocket.conftest import TIMEOUT, Client, Connect, WsClient

LIGHT = "light.demo_light_1"


async def test_unknown_command(admin_ws: WsClient) -> None:
    error = await admin_ws.error("no_such_command")
    assert error == {"code": "unknown_command", "message": "Unknown command."}
    assert await admin_ws.command("ping") == {"id": admin_ws.next_id, "type": "pong"}


async def test_id_reuse_keeps_connection(admin_ws: WsClient) -> None:
    await admin_ws.ws.send_json({"id": 5, "type": "ping"})
    assert await admin_ws.result(5) == {"id": 5, "type": "pong"}
    for reused in (5, 3):
        await admin_ws.ws.send_json({"id": reused, "type": "ping"})
        reply = await admin_ws.result(reused)
        assert reply["error"]["code"] == "id_reuse"
    await admin_ws.ws.send_json({"id": 6, "type": "ping"})
    assert await admin_ws.result(6) == {"id": 6, "type": "pong"}


INVALID_FORMAT = [
    {"id": 1},
    {"id": 1, "type": 7},
    {"id": 1, "type": "ping", "unexpected": True},
    {"id": 1, "type": "call_service", "domain": "light"},
    {"id": 1, "type": "call_service", "domain": "light", "service": "turn_on", "service_data": 1},
    {"id": 1, "type": "subscribe_events", "event_type": 5},
    {"id": 1, "type": "unsubscribe_events", "subscription": "1"},
]


@pytest.mark.parametrize("message", INVALID_FORMAT)
async def test_invalid_format(admin_ws: WsClient, message: dict[str, object]) -> None:
    await admin_ws.ws.send_json(message)
    reply = await admin_ws.result(1)
    assert reply["success"] is False
    assert reply["error"]["code"] == "invalid_format"
    assert reply["error"]["message"]
    await admin_ws.ws.send_json({"id": 2, "type": "ping"})
    assert await admin_ws.result(2) == {"id": 2, "type": "pong"}


UNRECOVERABLE = [
    ('{"type": "ping"}', aiohttp.WSCloseCode.POLICY_VIOLATION),
    ('{"id": "1", "type": "ping"}', aiohttp.WSCloseCode.POLICY_VIOLATION),
    ("[1, 2]", aiohttp.WSCloseCode.POLICY_VIOLATION),
    ("{not json", aiohttp.WSCloseCode.POLICY_VIOLATION),
    ('"text"', aiohttp.WSCloseCode.POLICY_VIOLATION),
]


@pytest.mark.parametrize(("frame", "code"), UNRECOVERABLE)
async def test_unrecoverable_frames_close_with_reason(
    admin_ws: WsClient, frame: str, code: int
) -> None:
    await admin_ws.ws.send_str(frame)
    msg = await admin_ws.closed()
    assert msg.data == code
    assert msg.extra


async def test_binary_frame_closes(admin_ws: WsClient) -> None:
    await admin_ws.ws.send_bytes(b"\x01\x02")
    msg = await admin_ws.closed()
    assert msg.data == aiohttp.WSCloseCode.UNSUPPORTED_DATA


async def test_errors_queued_before_a_close_are_delivered(admin_ws: WsClient) -> None:
    await admin_ws.ws.send_str('{"id": 1, "type": "nope"}')
    await admin_ws.ws.send_str('{"type": "ping"}')
    reply = await admin_ws.receive()
    assert reply["error"]["code"] == "unknown_command"
    assert (await admin_ws.closed()).data == aiohttp.WSCloseCode.POLICY_VIOLATION


async def test_array_of_commands(admin_ws: WsClient) -> None:
    frame = [{"id": 1, "type": "ping"}, {"id": 1, "type": "ping"}, {"id": 2, "type": "nope"}]
    await admin_ws.ws.send_str(json.dumps(frame))
    replies = [await admin_ws.receive() for _ in range(3)]
    assert replies[0] == {"id": 1, "type": "pong"}
    assert replies[1]["error"]["code"] == "id_reuse"
    assert replies[2]["error"]["code"] == "unknown_command"


async def test_coalesced_replies_after_opt_in(admin_ws: WsClient) -> None:
    await admin_ws.ok("supported_features", features={"coalesce_messages": 1})
    frame = [{"id": n, "type": "ping"} for n in (10, 11, 12)]
    await admin_ws.ws.send_str(json.dumps(frame))
    data = await admin_ws.ws.receive_json(timeout=TIMEOUT)
    assert data == [
        {"id": 10, "type": "pong"},
        {"id": 11, "type": "pong"},
        {"id": 12, "type": "pong"},
    ]


async def test_no_coalescing_without_opt_in(admin_ws: WsClient) -> None:
    await admin_ws.ws.send_str(json.dumps([{"id": n, "type": "ping"} for n in (1, 2)]))
    assert await admin_ws.ws.receive_json(timeout=TIMEOUT) == {"id": 1, "type": "pong"}
    assert await admin_ws.ws.receive_json(timeout=TIMEOUT) == {"id": 2, "type": "pong"}


async def test_oversize_message_closes_with_1009(
    connect: Connect, admin_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(const, "WS_MAX_MESSAGE", 4096)
    ws = await connect(admin_token)
    await ws.ws.send_str(json.dumps({"id": 1, "type": "ping", "pad": "x" * 5000}))
    msg = await ws.closed()
    assert msg.data == aiohttp.WSCloseCode.MESSAGE_TOO_BIG


async def test_slow_consumer_is_disconnected(
    connect: Connect,
    admin_token: str,
    hub: Hub,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(const, "WS_SEND_QUEUE_LIMIT", 10)
    ws = await connect(admin_token)
    subscription = await ws.send("subscribe_events", event_type="state_changed")
    assert (await ws.result(subscription))["success"] is True
    # Without an await the writer cannot run: every event lands in the queue at once.
    for value in range(50):
        hub.states.set("sensor.flood", str(value))
    msg = await ws.closed()
    assert msg.data == aiohttp.WSCloseCode.POLICY_VIOLATION
    assert msg.extra == "Too many pending messages."
    assert "client not reading" in caplog.text
    assert hub.bus.listener_counts().get("state_changed", 0) == 0


async def test_unexpected_error_is_unknown_error(
    admin_ws: WsClient, hub: Hub, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(call: ServiceCall) -> None:
        raise RuntimeError("secret internals")

    hub.services.register("test", "broken", broken)
    with caplog.at_level(logging.ERROR):
        error = await admin_ws.error("call_service", domain="test", service="broken")
    assert error == {"code": "unknown_error", "message": "Unknown error."}
    assert "secret internals" in caplog.text
    assert await admin_ws.command("ping") == {"id": admin_ws.next_id, "type": "pong"}


async def test_plain_hearth_error_is_home_assistant_error(admin_ws: WsClient, hub: Hub) -> None:
    def failing(call: ServiceCall) -> None:
        raise HearthError("Device did not answer.")

    hub.services.register("test", "failing", failing)
    error = await admin_ws.error("call_service", domain="test", service="failing")
    assert error == {"code": "home_assistant_error", "message": "Device did not answer."}


async def test_too_many_commands_in_flight(
    admin_ws: WsClient, hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connection, "MAX_INFLIGHT_COMMANDS", 1)
    release = asyncio.Event()

    async def slow(call: ServiceCall) -> None:
        await release.wait()

    hub.services.register("test", "slow", slow)
    first = await admin_ws.send("call_service", domain="test", service="slow")
    error = await admin_ws.error("call_service", domain="test", service="slow")
    assert error["code"] == "unavailable"
    release.set()
    assert (await admin_ws.result(first))["success"] is True


async def test_revoking_the_token_closes_its_connections(
    connect: Connect, auth: AuthManager, admin_user: User, user_token: str, app: web.Application
) -> None:
    refresh, _ = await auth.create_refresh_token(admin_user, client_id="http://other/")
    first = await connect(auth.create_access_token(refresh))
    second = await connect(auth.create_access_token(refresh))
    bystander = await connect(user_token)
    assert app[KEY_WS_CONNECTIONS].count_for_token(refresh.id) == 2
    await auth.remove_refresh_token(refresh.id)
    for ws in (first, second):
        msg = await ws.closed()
        assert msg.data == aiohttp.WSCloseCode.POLICY_VIOLATION
        assert msg.extra == "Token revoked."
    assert await bystander.command("ping") == {"id": bystander.next_id, "type": "pong"}
    assert app[KEY_WS_CONNECTIONS].count_for_token(refresh.id) == 0


async def test_deactivating_the_user_closes_their_connections(
    user_ws: WsClient, admin_ws: WsClient, auth: AuthManager, plain_user: User
) -> None:
    await auth.set_user_active(plain_user.id, False)
    assert (await user_ws.closed()).extra == "Token revoked."
    assert await admin_ws.command("ping") == {"id": admin_ws.next_id, "type": "pong"}


async def test_shutdown_closes_connections(admin_ws: WsClient, app: web.Application) -> None:
    await app.shutdown()
    msg = await admin_ws.closed()
    assert msg.data == aiohttp.WSCloseCode.GOING_AWAY


async def test_close_cleans_up_listeners_and_registry(
    connect: Connect, admin_token: str, hub: Hub, app: web.Application
) -> None:
    before = hub.bus.listener_counts()
    ws = await connect(admin_token)
    await ws.ok("subscribe_events")
    await ws.ok("subscribe_events", event_type="state_changed")
    await ws.ok("subscribe_entities")
    assert hub.bus.listener_counts() != before
    await ws.ws.close()
    async with asyncio.timeout(TIMEOUT):
        while len(app[KEY_WS_CONNECTIONS]) or hub.bus.listener_counts() != before:
            await asyncio.sleep(0.01)


async def test_subscription_limit(admin_ws: WsClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connection, "MAX_SUBSCRIPTIONS", 2)
    await admin_ws.ok("subscribe_events", event_type="state_changed")
    await admin_ws.ok("subscribe_entities")
    error = await admin_ws.error("subscribe_events", event_type="state_changed")
    assert error["code"] == "unavailable"


async def test_bug_in_reader_closes_with_1011(
    admin_ws: WsClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(self: object, data: str | bytes) -> list[object]:
        raise RuntimeError("bug")

    monkeypatch.setattr(protocol.MessageParser, "parse", broken)
    await admin_ws.ws.send_json({"id": 1, "type": "ping"})
    msg = await admin_ws.closed()
    assert msg.data == aiohttp.WSCloseCode.INTERNAL_ERROR
    assert msg.extra == "Internal error."
    assert "Unexpected error reading from a WebSocket" in caplog.text


async def test_bug_in_handshake_closes_with_1011(
    client: Client, auth: AuthManager, admin_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(token: str) -> None:
        raise RuntimeError("database is locked")

    monkeypatch.setattr(auth, "check_access_token", broken)
    ws = await client.ws_connect(URL)
    await ws.receive_json(timeout=TIMEOUT)
    await ws.send_json({"type": "auth", "access_token": admin_token})
    msg = await ws.receive(timeout=TIMEOUT)
    assert msg.type is aiohttp.WSMsgType.CLOSE
    assert msg.data == aiohttp.WSCloseCode.INTERNAL_ERROR
