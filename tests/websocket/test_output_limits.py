"""Pending output bounded in bytes: per connection, before large replies are built, in total."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from hearth import const
from hearth.core.hub import Hub
from hearth.core.state import State
from hearth.websocket import KEY_WS_CONNECTIONS, compressed, protocol
from hearth.websocket.connection import PENDING_REASON, Connection
from tests.websocket.conftest import TIMEOUT, Client, Connect, WsClient

BIG = {"blob": "x" * 20_000}


def connections(app: web.Application) -> list[Connection]:
    """The server side of the open connections, oldest first."""
    found = [conn for conn in app[KEY_WS_CONNECTIONS] if isinstance(conn, Connection)]
    return sorted(found, key=lambda conn: conn.conn_id)


async def assert_dropped(ws: WsClient) -> None:
    msg = await ws.closed()
    assert (msg.data, msg.extra) == (aiohttp.WSCloseCode.POLICY_VIOLATION, PENDING_REASON)


async def send_batch(ws: WsClient, *types: str) -> None:
    """Several commands in one frame: the hub queues every reply before it can send the first."""
    batch = []
    for msg_type in types:
        ws.next_id += 1
        batch.append({"id": ws.next_id, "type": msg_type})
    await ws.ws.send_str(json.dumps(batch))


async def wait_budget_empty(app: web.Application) -> None:
    budget = app[KEY_WS_CONNECTIONS].budget
    async with asyncio.timeout(TIMEOUT):
        while budget.total:
            await asyncio.sleep(0.01)


async def test_pending_bytes_close_a_client_that_is_not_reading(
    connect: Connect,
    user_token: str,
    hub: Hub,
    app: web.Application,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Ten replies are far below the message limit, but more bytes than the byte limit."""
    monkeypatch.setattr(const, "WS_SEND_BUFFER_LIMIT", 64 * 1024)
    hub.states.set("sensor.big", "1", BIG)
    ws = await connect(user_token)
    await send_batch(ws, *["get_states"] * 10)
    await assert_dropped(ws)
    assert "client not reading" in caplog.text
    await wait_budget_empty(app)


async def test_one_large_reply_may_wait_alone(
    connect: Connect, user_token: str, hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large installation's state list is sent even when it alone exceeds the limit."""
    monkeypatch.setattr(const, "WS_SEND_BUFFER_LIMIT", 1024)
    hub.states.set("sensor.big", "1", BIG)
    ws = await connect(user_token)
    states = await ws.ok("get_states")
    assert "sensor.big" in {state["entity_id"] for state in states}
    await send_batch(ws, "get_states", "get_states")
    await assert_dropped(ws)


async def test_get_states_replies_share_one_body(
    connect: Connect, user_token: str, hub: Hub, app: web.Application
) -> None:
    """Queued get_states replies reference the cached list of states instead of copying it."""
    hub.states.set("sensor.big", "1", BIG)
    ws = await connect(user_token)
    body = hub.states.all_json()
    budget = app[KEY_WS_CONNECTIONS].budget
    [conn] = connections(app)
    # No await: the writer cannot send any of them before the asserts.
    for msg_id in range(100, 110):
        conn.send_shared(protocol.result_head(msg_id), body, protocol.MESSAGE_TAIL)
    assert budget.held(conn) > 10 * len(body)
    assert budget.total < len(body) + 10 * 100
    for msg_id in range(100, 110):
        assert len((await ws.result(msg_id))["result"]) == len(hub.states.all())
    await wait_budget_empty(app)


async def test_snapshot_is_counted_before_it_is_built(
    connect: Connect,
    user_token: str,
    hub: Hub,
    app: web.Application,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(const, "WS_SEND_BUFFER_LIMIT", 64 * 1024)
    hub.states.set("sensor.big", "1", BIG)
    built: list[object] = []
    original = compressed.initial_message

    def counting(states: Any) -> bytes:
        built.append(states)
        return original(states)

    monkeypatch.setattr(compressed, "initial_message", counting)
    listeners = hub.bus.listener_counts().get("state_changed", 0)
    ws = await connect(user_token)
    await send_batch(ws, "get_states", "get_states", "get_states", "subscribe_entities")
    await assert_dropped(ws)
    assert built == []
    assert hub.bus.listener_counts().get("state_changed", 0) == listeners


async def test_total_budget_drops_the_connections_holding_most_first(
    connect: Connect,
    user_token: str,
    app: web.Application,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Each connection is under its own limit; together they are over the hub's."""
    app[KEY_WS_CONNECTIONS].budget.limit = 100_000
    big, medium, small = [await connect(user_token) for _ in range(3)]
    conn_big, conn_medium, conn_small = connections(app)
    conn_big.send(protocol.result_message(0, "b" * 60_000))
    conn_medium.send(protocol.result_message(0, "m" * 25_000))
    conn_small.send(protocol.result_message(0, "s" * 20_000))
    await assert_dropped(big)
    assert (await medium.receive())["result"] == "m" * 25_000
    assert (await small.receive())["result"] == "s" * 20_000
    assert await medium.command("ping") == {"id": medium.next_id, "type": "pong"}
    assert "the total for all connections is over 100000 bytes" in caplog.text
    await wait_budget_empty(app)


async def test_one_event_for_many_subscribers_is_counted_once(
    connect: Connect, user_token: str, hub: Hub, app: web.Application
) -> None:
    """A burst to many subscribers fits a budget that per-subscriber copies would exceed."""
    app[KEY_WS_CONNECTIONS].budget.limit = 256 * 1024
    clients = [await connect(user_token) for _ in range(8)]
    subscriptions = [
        await ws.send("subscribe_events", event_type="state_changed") for ws in clients
    ]
    for ws, subscription in zip(clients, subscriptions, strict=True):
        await ws.result(subscription)
    # Five events of about 40 KB each (old and new state), queued on every connection at once:
    # 1.6 MB as copies, 200 KB shared.
    for value in range(5):
        hub.states.set("sensor.burst", str(value), {"blob": str(value) * 20_000})
    for ws, subscription in zip(clients, subscriptions, strict=True):
        for value in range(5):
            event = await ws.event(subscription)
            assert event["data"]["new_state"]["state"] == str(value)
    await wait_budget_empty(app)


async def test_a_state_that_cannot_be_serialised_costs_only_itself(
    connect: Connect, user_token: str, hub: Hub, caplog: pytest.LogCaptureFixture
) -> None:
    """Defence in depth (issue 10.1): never a success and then a failure for one id."""
    # What only a bug could store: the state machine refuses this data.
    hub.states._states["sensor.bad"] = State("sensor.bad", "1", {"n": 2**70})
    hub.states._version += 1
    ws = await connect(user_token)
    states = await ws.ok("get_states")
    assert "sensor.bad" not in {state["entity_id"] for state in states}
    subscription = await ws.send("subscribe_entities")
    assert (await ws.result(subscription))["success"] is True
    snapshot = await ws.event(subscription)
    assert "sensor.bad" not in snapshot["a"]
    assert "light.demo_light_1" in snapshot["a"]
    assert await ws.command("ping") == {"id": ws.next_id, "type": "pong"}
    assert "The state of sensor.bad cannot be serialised; left out" in caplog.text


async def test_shutdown_closes_unauthenticated_connections_at_once(
    client: Client, app: web.Application
) -> None:
    """Issue 10.9: no waiting for the auth message or its 10 s timeout."""
    waiting = await client.ws_connect("/api/websocket")
    assert (await waiting.receive_json(timeout=TIMEOUT))["type"] == "auth_required"
    loop = asyncio.get_running_loop()
    started = loop.time()
    await app.shutdown()
    msg = await waiting.receive(timeout=TIMEOUT)
    assert (msg.type, msg.data, msg.extra) == (
        aiohttp.WSMsgType.CLOSE,
        aiohttp.WSCloseCode.GOING_AWAY,
        "Server shutting down.",
    )
    assert loop.time() - started < const.WS_AUTH_TIMEOUT
    # A connection arriving after the shutdown began is closed the same way.
    late = await client.ws_connect("/api/websocket")
    msg = await late.receive(timeout=TIMEOUT)
    assert (msg.type, msg.data) == (aiohttp.WSMsgType.CLOSE, aiohttp.WSCloseCode.GOING_AWAY)
