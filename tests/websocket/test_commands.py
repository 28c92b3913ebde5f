"""Tests for hearth.websocket.commands.core: the core commands over a live connection."""

from __future__ import annotations

import asyncio

import orjson

from hearth.auth.models import User
from hearth.core.events import RESERVED_EVENT_TYPES
from hearth.core.hub import Hub
from hearth.core.services import ServiceCall
from tests.websocket.conftest import WsClient

LIGHT = "light.demo_light_1"


async def test_ping(user_ws: WsClient) -> None:
    assert await user_ws.command("ping") == {"id": user_ws.next_id, "type": "pong"}


async def test_get_states(user_ws: WsClient, hub: Hub) -> None:
    states = await user_ws.ok("get_states")
    assert {state["entity_id"] for state in states} == set(hub.states.entity_ids())
    light = next(state for state in states if state["entity_id"] == LIGHT)
    assert light == orjson.loads(hub.states.get(LIGHT).as_json())  # type: ignore[union-attr]


async def test_get_config(user_ws: WsClient, hub: Hub) -> None:
    config = await user_ws.ok("get_config")
    assert config == hub.config_dict()
    assert config["location_name"] == "Test Home"
    assert "config_dir" not in config


async def test_get_services(user_ws: WsClient, hub: Hub) -> None:
    services = await user_ws.ok("get_services")
    assert services == hub.services.as_dict()
    assert "turn_on" in services["light"]


async def test_call_service_sends_state_changed(
    user_ws: WsClient, hub: Hub, plain_user: User
) -> None:
    hub.states.set(LIGHT, "off")
    subscription = await user_ws.send("subscribe_events", event_type="state_changed")
    assert (await user_ws.result(subscription))["success"] is True
    result = await user_ws.ok(
        "call_service", domain="light", service="turn_on", service_data={"entity_id": LIGHT}
    )
    assert result["context"]["user_id"] == plain_user.id
    assert set(result["context"]) == {"id", "parent_id", "user_id"}
    event = await user_ws.event(subscription)
    assert event["event_type"] == "state_changed"
    assert event["data"]["entity_id"] == LIGHT
    assert event["data"]["new_state"]["state"] == "on"
    assert event["context"]["user_id"] == plain_user.id
    assert hub.states.get(LIGHT).state == "on"  # type: ignore[union-attr]


async def test_call_service_with_target(user_ws: WsClient, hub: Hub) -> None:
    hub.states.set(LIGHT, "on")
    await user_ws.ok(
        "call_service", domain="light", service="turn_off", target={"entity_id": LIGHT}
    )
    assert hub.states.get(LIGHT).state == "off"  # type: ignore[union-attr]


async def test_call_service_errors(user_ws: WsClient) -> None:
    missing = await user_ws.error("call_service", domain="light", service="frobnicate")
    assert missing["code"] == "not_found"
    invalid = await user_ws.error(
        "call_service",
        domain="light",
        service="turn_on",
        service_data={"entity_id": LIGHT, "brightness": 999},
    )
    assert invalid["code"] == "invalid_format"
    assert "brightness" in invalid["message"]
    target = await user_ws.error(
        "call_service", domain="light", service="turn_on", target={"bogus": LIGHT}
    )
    assert target["code"] == "invalid_format"
    response = await user_ws.error(
        "call_service", domain="light", service="turn_on", return_response=True
    )
    assert response["code"] == "invalid_format"


async def test_call_service_runs_concurrently(user_ws: WsClient, hub: Hub) -> None:
    """A slow service call does not hold up the commands after it."""
    calls: list[ServiceCall] = []
    started = asyncio.Event()

    async def slow(call: ServiceCall) -> None:
        calls.append(call)
        started.set()
        await asyncio.sleep(0.2)

    hub.services.register("test", "slow", slow)
    slow_id = await user_ws.send("call_service", domain="test", service="slow")
    ping_id = await user_ws.send("ping")
    first = await user_ws.receive()
    assert first == {"id": ping_id, "type": "pong"}
    assert (await user_ws.result(slow_id))["success"] is True
    assert calls[0].context.user_id is not None


async def test_fire_event_admin(admin_ws: WsClient, admin_user: User) -> None:
    subscription = await admin_ws.send("subscribe_events", event_type="hearth_test")
    await admin_ws.result(subscription)
    result = await admin_ws.ok("fire_event", event_type="hearth_test", event_data={"x": 1})
    assert result["context"]["user_id"] == admin_user.id
    event = await admin_ws.event(subscription)
    assert event["event_type"] == "hearth_test"
    assert event["data"] == {"x": 1}
    assert event["context"]["id"] == result["context"]["id"]


async def test_fire_event_errors(admin_ws: WsClient) -> None:
    reserved = await admin_ws.error("fire_event", event_type="state_changed")
    assert reserved["code"] == "invalid_format"
    bad_type = await admin_ws.error("fire_event", event_type="\x00")
    assert bad_type["code"] == "invalid_format"


def _deep(depth: int) -> dict[str, object]:
    value: dict[str, object] = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


async def test_fire_event_refuses_what_rest_refuses(admin_ws: WsClient) -> None:
    """One rule for REST and WebSocket (issue 9.14): reserved types and unbounded data."""
    everything = await admin_ws.send("subscribe_events")
    await admin_ws.result(everything)
    for event_type in RESERVED_EVENT_TYPES:
        error = await admin_ws.error("fire_event", event_type=event_type)
        assert error == {
            "code": "invalid_format",
            "message": f"Event {event_type} can not be fired through the API.",
        }
    for data in (_deep(300), {"x": "y" * 70_000}):
        error = await admin_ws.error("fire_event", event_type="hearth_test", event_data=data)
        assert error["code"] == "invalid_format"
        assert error["message"].startswith("event data: ")
    # Nothing above reached the bus: the next event is the one fired now.
    await admin_ws.ok("fire_event", event_type="hearth_marker")
    assert (await admin_ws.event(everything))["event_type"] == "hearth_marker"


async def test_call_service_refuses_unbounded_data(admin_ws: WsClient) -> None:
    calls = await admin_ws.send("subscribe_events", event_type="call_service")
    await admin_ws.result(calls)
    for data in (_deep(253), {"entity_id": [LIGHT] * 30_000}):
        error = await admin_ws.error(
            "call_service", domain="light", service="turn_on", service_data=data
        )
        assert error["code"] == "invalid_format"
        assert error["message"].startswith("service data: ")
    error = await admin_ws.error(
        "call_service", domain="light", service="turn_on", target={"entity_id": "light.nope"}
    )
    assert error["message"] == "entity_id: light.nope is not a demo light"
    await admin_ws.ok(
        "call_service", domain="light", service="turn_on", target={"entity_id": LIGHT}
    )
    # Only the valid call was announced.
    event = await admin_ws.event(calls)
    assert event["data"]["service_data"] == {"entity_id": LIGHT}


async def test_fire_event_needs_admin(user_ws: WsClient) -> None:
    error = await user_ws.error("fire_event", event_type="hearth_test")
    assert error == {"code": "unauthorized", "message": "Unauthorized"}


async def test_supported_features(user_ws: WsClient) -> None:
    assert await user_ws.ok("supported_features", features={"coalesce_messages": 1}) is None
    too_many = {f"feature_{n}": 1 for n in range(65)}
    error = await user_ws.error("supported_features", features=too_many)
    assert error["code"] == "invalid_format"
