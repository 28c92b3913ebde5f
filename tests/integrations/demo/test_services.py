"""Tests for hearth.integrations.demo.services."""

from __future__ import annotations

from typing import Any

import pytest

from hearth.core.context import Context
from hearth.core.events import EVENT_CALL_SERVICE, EVENT_STATE_CHANGED, Event
from hearth.core.hub import Hub
from hearth.exceptions import ServiceValidationError
from hearth.integrations.demo import DemoEntities


def state_of(hub: Hub, entity_id: str) -> str:
    state = hub.states.get(entity_id)
    assert state is not None
    return state.state


def attribute(hub: Hub, entity_id: str, name: str) -> Any:
    state = hub.states.get(entity_id)
    assert state is not None
    return state.attributes[name]


async def test_light_toggle(demo_hub: Hub, demo: DemoEntities) -> None:
    await demo_hub.services.call("light", "toggle", {"entity_id": "light.demo_light_1"})
    assert state_of(demo_hub, "light.demo_light_1") == "off"
    await demo_hub.services.call("light", "toggle", {"entity_id": ["light.demo_light_1"]})
    assert state_of(demo_hub, "light.demo_light_1") == "on"
    assert attribute(demo_hub, "light.demo_light_1", "brightness") == 180


async def test_light_turn_on_with_brightness(demo_hub: Hub, demo: DemoEntities) -> None:
    context = Context(user_id="u1")
    await demo_hub.services.call(
        "light", "turn_on", {"entity_id": "light.demo_light_2", "brightness": 42}, context=context
    )
    state = demo_hub.states.get("light.demo_light_2")
    assert state is not None
    assert state.state == "on"
    assert state.attributes["brightness"] == 42
    assert state.attributes["color_mode"] == "brightness"
    assert state.context is context


@pytest.mark.parametrize(("pct", "brightness"), [(100, 255), (50, 128), (1, 3), (0.5, 1)])
async def test_light_brightness_pct(
    demo_hub: Hub, demo: DemoEntities, pct: float, brightness: int
) -> None:
    data = {"entity_id": "light.demo_light_1", "brightness_pct": pct}
    await demo_hub.services.call("light", "turn_on", data)
    assert attribute(demo_hub, "light.demo_light_1", "brightness") == brightness


async def test_brightness_zero_turns_off(demo_hub: Hub, demo: DemoEntities) -> None:
    data = {"entity_id": "light.demo_light_1", "brightness": 0}
    await demo_hub.services.call("light", "turn_on", data)
    assert state_of(demo_hub, "light.demo_light_1") == "off"


async def test_turn_on_all_lights(demo_hub: Hub, demo: DemoEntities) -> None:
    await demo_hub.services.call("light", "turn_on", {"entity_id": "all", "brightness": 10})
    assert [s.state for s in demo_hub.states.all("light")] == ["on", "on", "on"]
    assert {s.attributes["brightness"] for s in demo_hub.states.all("light")} == {10}


async def test_no_target_changes_nothing(demo_hub: Hub, demo: DemoEntities) -> None:
    before = demo_hub.states.all()
    await demo_hub.services.call("light", "toggle", {})
    assert demo_hub.states.all() == before


async def test_switches(demo_hub: Hub, demo: DemoEntities) -> None:
    await demo_hub.services.call("switch", "turn_off", {"entity_id": "switch.demo_switch_1"})
    await demo_hub.services.call("switch", "turn_on", {"entity_id": "switch.demo_switch_2"})
    assert state_of(demo_hub, "switch.demo_switch_1") == "off"
    assert state_of(demo_hub, "switch.demo_switch_2") == "on"
    await demo_hub.services.call("switch", "toggle", {"entity_id": "all"})
    assert state_of(demo_hub, "switch.demo_switch_1") == "on"
    assert state_of(demo_hub, "switch.demo_switch_2") == "off"


@pytest.mark.parametrize(
    ("service", "data", "message"),
    [
        (
            "turn_on",
            {"entity_id": "light.demo_light_1", "brightness": 300},
            "brightness: expected an integer between 0 and 255",
        ),
        (
            "turn_on",
            {"entity_id": "light.demo_light_1", "brightness": "x" * 1_000},
            "brightness: expected an integer between 0 and 255",
        ),
        (
            "turn_on",
            {"entity_id": "light.demo_light_1", "brightness": True},
            "brightness: expected an integer between 0 and 255",
        ),
        (
            "turn_on",
            {"entity_id": "light.demo_light_1", "brightness_pct": 101},
            "brightness_pct: expected a number between 0 and 100",
        ),
        (
            "turn_on",
            {"entity_id": "light.demo_light_1", "brightness": 1, "brightness_pct": 1},
            "brightness, brightness_pct: use only one of them",
        ),
        (
            "turn_off",
            {"entity_id": "light.demo_light_1", "brightness": 1},
            "unknown field 'brightness' (allowed: entity_id)",
        ),
        (
            "turn_on",
            {"entity_id": "light.nope"},
            "entity_id: light.nope is not a light",
        ),
        (
            "turn_on",
            {"entity_id": ["light.demo_light_2", "switch.demo_switch_1", "light.x"]},
            "entity_id: switch.demo_switch_1 is not a light (and 1 more)",
        ),
        (
            "turn_on",
            {"entity_id": "Not An Id" * 1_000},
            'entity_id: expected an entity ID, a list of entity IDs or "all"',
        ),
    ],
)
async def test_light_validation_errors(
    demo_hub: Hub, demo: DemoEntities, service: str, data: dict[str, Any], message: str
) -> None:
    changed: list[Event] = []
    demo_hub.bus.listen(EVENT_STATE_CHANGED, changed.append)
    announced: list[Event] = []
    demo_hub.bus.listen(EVENT_CALL_SERVICE, announced.append)
    with pytest.raises(ServiceValidationError) as caught:
        await demo_hub.services.call("light", service, data)
    assert caught.value.message == message
    assert changed == []
    # A refused call is not broadcast to call_service subscribers (issue 9.1).
    assert announced == []


@pytest.mark.parametrize("service", ["turn_on", "turn_off", "toggle"])
async def test_generic_call_with_unknown_entity_fires_nothing(
    demo_hub: Hub, demo: DemoEntities, service: str
) -> None:
    announced: list[Event] = []
    demo_hub.bus.listen(EVENT_CALL_SERVICE, announced.append)
    with pytest.raises(ServiceValidationError, match=r"sensor\.demo_sensor_1 cannot be"):
        await demo_hub.services.call(
            "homeassistant", service, {"entity_id": ["light.demo_light_1", "sensor.demo_sensor_1"]}
        )
    assert announced == []


async def test_homeassistant_dispatches_by_domain(demo_hub: Hub, demo: DemoEntities) -> None:
    calls: list[Event] = []
    demo_hub.bus.listen(EVENT_CALL_SERVICE, calls.append)
    context = Context()
    await demo_hub.services.call(
        "homeassistant",
        "turn_off",
        {"entity_id": ["light.demo_light_1", "switch.demo_switch_1"]},
        context=context,
    )
    assert state_of(demo_hub, "light.demo_light_1") == "off"
    assert state_of(demo_hub, "switch.demo_switch_1") == "off"
    assert [(e.data["domain"], e.data["service"]) for e in calls] == [
        ("homeassistant", "turn_off"),
        ("light", "turn_off"),
        ("switch", "turn_off"),
    ]
    assert calls[1].data["service_data"] == {"entity_id": ["light.demo_light_1"]}
    assert all(event.context is context for event in calls)


async def test_homeassistant_toggle_all(demo_hub: Hub, demo: DemoEntities) -> None:
    before = {s.entity_id: s.state for s in demo_hub.states.all() if s.domain != "sensor"}
    await demo_hub.services.call("homeassistant", "toggle", {"entity_id": "all"})
    for entity_id, old in before.items():
        assert state_of(demo_hub, entity_id) == ("off" if old == "on" else "on")


@pytest.mark.parametrize(
    ("entity_ids", "message"),
    [
        (
            ["light.demo_light_2", "sensor.demo_sensor_1"],
            "sensor.demo_sensor_1 cannot be turned on",
        ),
        (["switch.demo_switch_2", "light.unknown"], "light.unknown is not a known entity"),
    ],
)
async def test_homeassistant_rejects_before_changing_anything(
    demo_hub: Hub, demo: DemoEntities, entity_ids: list[str], message: str
) -> None:
    changed: list[Event] = []
    demo_hub.bus.listen(EVENT_STATE_CHANGED, changed.append)
    with pytest.raises(ServiceValidationError) as caught:
        await demo_hub.services.call("homeassistant", "turn_on", {"entity_id": entity_ids})
    assert caught.value.message == f"entity_id: {message}"
    assert changed == []


async def test_only_changed_entities_fire_events(demo_hub: Hub, demo: DemoEntities) -> None:
    changed: list[Event] = []
    demo_hub.bus.listen(EVENT_STATE_CHANGED, changed.append)
    await demo_hub.services.call("light", "turn_on", {"entity_id": "all"})
    # Lights 1 and 3 were already on at the same brightness.
    assert [event.data["entity_id"] for event in changed] == ["light.demo_light_2"]
