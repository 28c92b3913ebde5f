"""Tests for hearth.websocket.commands.subscribe: events and compressed entity updates."""

from __future__ import annotations

import pytest

from hearth.core.hub import Hub
from hearth.websocket.commands.subscribe import SUBSCRIBE_ALLOWLIST
from tests.websocket.conftest import WsClient

LIGHT = "light.demo_light_1"
SWITCH = "switch.demo_switch_1"


async def test_subscribe_and_unsubscribe_events(admin_ws: WsClient, hub: Hub) -> None:
    subscription = await admin_ws.send("subscribe_events")
    assert (await admin_ws.result(subscription))["result"] is None
    hub.bus.fire("hearth_test", {"n": 1})
    event = await admin_ws.event(subscription)
    assert event["event_type"] == "hearth_test"
    assert event["data"] == {"n": 1}
    assert set(event) == {"event_type", "data", "origin", "time_fired", "context"}

    assert await admin_ws.ok("unsubscribe_events", subscription=subscription) is None
    hub.bus.fire("hearth_test", {"n": 2})
    ping = await admin_ws.send("ping")
    assert await admin_ws.receive() == {"id": ping, "type": "pong"}
    error = await admin_ws.error("unsubscribe_events", subscription=subscription)
    assert error == {"code": "not_found", "message": "Subscription not found."}


async def test_each_subscription_gets_its_own_id(admin_ws: WsClient, hub: Hub) -> None:
    first = await admin_ws.send("subscribe_events", event_type="hearth_test")
    await admin_ws.result(first)
    second = await admin_ws.send("subscribe_events", event_type="hearth_test")
    await admin_ws.result(second)
    hub.bus.fire("hearth_test")
    received = {(await admin_ws.receive())["id"] for _ in range(2)}
    assert received == {first, second}


@pytest.mark.parametrize("event_type", ["*", "call_service", "homeassistant_stop", "custom"])
async def test_non_admin_cannot_subscribe_outside_allowlist(
    user_ws: WsClient, event_type: str
) -> None:
    error = await user_ws.error("subscribe_events", event_type=event_type)
    assert error == {"code": "unauthorized", "message": "Unauthorized"}


async def test_non_admin_cannot_subscribe_to_every_event(
    user_ws: WsClient,
) -> None:
    error = await user_ws.error("subscribe_events")
    assert error["code"] == "unauthorized"


@pytest.mark.parametrize("event_type", sorted(SUBSCRIBE_ALLOWLIST))
async def test_non_admin_may_subscribe_to_allowlist(user_ws: WsClient, event_type: str) -> None:
    await user_ws.ok("subscribe_events", event_type=event_type)


async def test_subscribe_entities_initial_and_diffs(user_ws: WsClient, hub: Hub) -> None:
    hub.states.set(LIGHT, "off", {"friendly_name": "Light", "brightness": 10})
    subscription = await user_ws.send("subscribe_entities")
    assert (await user_ws.result(subscription))["success"] is True
    initial = await user_ws.event(subscription)
    assert set(initial) == {"a"}
    assert set(initial["a"]) == set(hub.states.entity_ids())
    light = initial["a"][LIGHT]
    state = hub.states.get(LIGHT)
    assert state is not None
    assert light == {
        "s": "off",
        "a": {"friendly_name": "Light", "brightness": 10},
        "c": state.context.id,
        "lc": state.last_changed.timestamp(),
    }

    changed = hub.states.set(LIGHT, "on", {"friendly_name": "Light"})
    diff = await user_ws.event(subscription)
    assert diff == {
        "c": {
            LIGHT: {
                "+": {"s": "on", "lc": changed.last_changed.timestamp(), "c": changed.context.id},
                "-": {"a": ["brightness"]},
            }
        }
    }

    hub.states.set("sensor.brand_new", "1")
    added = await user_ws.event(subscription)
    assert added["a"]["sensor.brand_new"]["s"] == "1"

    hub.states.remove("sensor.brand_new")
    assert await user_ws.event(subscription) == {"r": ["sensor.brand_new"]}


async def test_subscribe_entities_filter(user_ws: WsClient, hub: Hub) -> None:
    subscription = await user_ws.send("subscribe_entities", entity_ids=[SWITCH])
    await user_ws.result(subscription)
    initial = await user_ws.event(subscription)
    assert list(initial["a"]) == [SWITCH]
    hub.states.set(LIGHT, "toggled")
    hub.states.set(SWITCH, "toggled")
    diff = await user_ws.event(subscription)
    assert list(diff["c"]) == [SWITCH]


async def test_subscribe_entities_filter_as_string(user_ws: WsClient) -> None:
    subscription = await user_ws.send("subscribe_entities", entity_ids=f"{LIGHT},{SWITCH}")
    await user_ws.result(subscription)
    assert set((await user_ws.event(subscription))["a"]) == {LIGHT, SWITCH}


async def test_subscribe_entities_unknown_entity(user_ws: WsClient) -> None:
    subscription = await user_ws.send("subscribe_entities", entity_ids=["light.missing"])
    await user_ws.result(subscription)
    assert await user_ws.event(subscription) == {"a": {}}


@pytest.mark.parametrize("entity_ids", [["not an id"], [5], "light.ok,", {"a": 1}])
async def test_subscribe_entities_invalid_filter(user_ws: WsClient, entity_ids: object) -> None:
    error = await user_ws.error("subscribe_entities", entity_ids=entity_ids)
    assert error["code"] == "invalid_format"


async def test_unsubscribe_entities(user_ws: WsClient, hub: Hub) -> None:
    subscription = await user_ws.send("subscribe_entities", entity_ids=[LIGHT])
    await user_ws.result(subscription)
    await user_ws.event(subscription)
    await user_ws.ok("unsubscribe_events", subscription=subscription)
    hub.states.set(LIGHT, "gone-quiet")
    ping = await user_ws.send("ping")
    assert await user_ws.receive() == {"id": ping, "type": "pong"}
