"""Issue 10.1 against the running hub: data that cannot be serialised is refused everywhere.

A state whose attributes nested 253-1,024 levels deep used to be stored (the POST answered 500)
and then broke GET /api/states, get_states, subscribe_entities and every state_changed
subscriber, for every user. Each entry point now answers 400 (or invalid_format) and stores or
fires nothing; every read keeps working for everyone.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from tests.acceptance.support import (
    RunningHub,
    assert_error_shape,
    create_token,
    create_user,
    request,
)
from tests.acceptance.support_ws import ws_auth, ws_result

pytestmark = pytest.mark.acceptance

# 253 and beyond broke orjson's writer; 1000 is still within its reader's 1,024 levels.
DEPTHS = (33, 253, 300, 1000)
SENSOR = "sensor.poison"


def nested(depth: int) -> str:
    """JSON text of an object `depth` levels deep (too deep for Python's own json module)."""
    return '{"a":' * (depth - 1) + "{}" + "}" * (depth - 1)


def poison() -> list[tuple[str, str]]:
    """(what, JSON text): too deep at each depth, and too large in three ways (under 1 MiB)."""
    cases = [(f"depth {depth}", nested(depth)) for depth in DEPTHS]
    cases += [
        ("300 KB of text", json.dumps({"text": "x" * 300_000})),
        ("many keys", json.dumps({f"key_{n}": n for n in range(40_000)})),
        ("a long key", json.dumps({"k" * 1000: 1})),
    ]
    return cases


def post(hub: RunningHub, path: str, body: str) -> int:
    reply = request(hub, "POST", path, token=hub.token, body=body.encode())
    if reply.status >= 400:
        assert_error_shape(reply, reply.status)
    return reply.status


async def command(ws: aiohttp.ClientWebSocketResponse, msg_id: int, **fields: Any) -> Any:
    await ws.send_json({"id": msg_id, **fields})
    return await ws_result(ws, msg_id)


async def raw_command(ws: aiohttp.ClientWebSocketResponse, msg_id: int, text: str) -> Any:
    """A command whose JSON text is given after its id."""
    await ws.send_str(f'{{"id":{msg_id},{text}}}')
    return await ws_result(ws, msg_id)


async def test_poison_is_refused_at_every_entry_point(hub: RunningHub) -> None:
    create_user(hub.config_dir, "reader", admin=False)
    reader = create_token(hub.config_dir, "reader", "reader-token")
    async with aiohttp.ClientSession() as session:
        # Subscribers that were there all along: they must miss nothing and see no error.
        changes = await session.ws_connect(hub.ws_url)
        await ws_auth(changes, reader)
        assert (await command(changes, 1, type="subscribe_events", event_type="state_changed"))[
            "success"
        ]
        entities = await session.ws_connect(hub.ws_url)
        await ws_auth(entities, reader)
        assert (await command(entities, 1, type="subscribe_entities"))["success"]
        assert "light.demo_light_1" in (await entities.receive_json(timeout=5))["event"]["a"]

        admin = await session.ws_connect(hub.ws_url)
        await ws_auth(admin, hub.token)
        msg_id = 0
        for what, data in poison():
            state = f'{{"state":"on","attributes":{data}}}'
            assert post(hub, f"/api/states/{SENSOR}", state) == 400, what
            assert request(hub, "GET", f"/api/states/{SENSOR}", token=hub.token).status == 404, what
            assert post(hub, "/api/events/hearth_poison", data) == 400, what
            assert post(hub, "/api/services/homeassistant/turn_on", data) == 400, what
            for text in (
                f'"type":"fire_event","event_type":"hearth_poison","event_data":{data}',
                f'"type":"call_service","domain":"light","service":"turn_on","service_data":{data}',
            ):
                msg_id += 1
                reply = await raw_command(admin, msg_id, text)
                assert reply["error"]["code"] == "invalid_format", (what, reply)

        # Every read still works, for the other user too.
        for token in (reader, hub.token):
            listing = request(hub, "GET", "/api/states", token=token)
            assert listing.status == 200
            assert SENSOR not in {state["entity_id"] for state in listing.json()}
            fresh = await session.ws_connect(hub.ws_url)
            await ws_auth(fresh, token)
            states = await command(fresh, 1, type="get_states")
            assert states["success"] is True
            assert len(states["result"]) == len(listing.json())
            subscribed = await command(fresh, 2, type="subscribe_entities")
            assert subscribed["success"] is True
            snapshot = await fresh.receive_json(timeout=5)
            assert (snapshot["id"], snapshot["type"]) == (2, "event")
            assert "light.demo_light_1" in snapshot["event"]["a"]
            await fresh.close()

        # The subscribers from before see the next real change, and nothing before it.
        fine = json.dumps({"state": "fine", "attributes": {"ok": 1}})
        assert post(hub, f"/api/states/{SENSOR}", fine) == 201
        event = await next_event(changes, 1, SENSOR)
        assert event["data"]["new_state"]["state"] == "fine"
        diff = await next_event(entities, 1, SENSOR)
        assert diff["a"][SENSOR]["s"] == "fine"
        for ws in (changes, entities, admin):
            await ws.close()


async def next_event(ws: aiohttp.ClientWebSocketResponse, subscription: int, entity: str) -> Any:
    """The next event about `entity` (the demo sensors change on their own meanwhile)."""
    while True:
        message = await ws.receive_json(timeout=5)
        assert (message["type"], message["id"]) == ("event", subscription), message
        event = message["event"]
        if event.get("data", {}).get("entity_id") == entity or entity in event.get("a", {}):
            return event
