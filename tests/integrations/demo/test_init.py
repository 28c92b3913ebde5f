"""Tests for hearth.integrations.demo (setup and the sensor timer)."""

from __future__ import annotations

import asyncio

import pytest

from hearth.core.events import EVENT_STATE_CHANGED, Event
from hearth.core.hub import Hub
from hearth.integrations.demo import DemoEntities, async_setup
from tests.integrations.demo.common import DemoConf


async def test_setup_creates_entities(demo_hub: Hub, demo: DemoEntities) -> None:
    assert demo_hub.states.entity_ids("light") == [
        "light.demo_light_1",
        "light.demo_light_2",
        "light.demo_light_3",
    ]
    assert demo_hub.states.entity_ids("switch") == ["switch.demo_switch_1", "switch.demo_switch_2"]
    assert demo_hub.states.entity_ids("sensor") == ["sensor.demo_sensor_1", "sensor.demo_sensor_2"]
    assert {"demo", "light", "switch", "sensor"} <= demo_hub.components


async def test_light_attributes(demo_hub: Hub, demo: DemoEntities) -> None:
    on = demo_hub.states.get("light.demo_light_1")
    off = demo_hub.states.get("light.demo_light_2")
    assert on is not None
    assert off is not None
    assert on.state == "on"
    assert on.attributes["friendly_name"] == "Demo Light 1"
    assert on.attributes["brightness"] == 180
    assert on.attributes["color_mode"] == "brightness"
    assert list(on.attributes["supported_color_modes"]) == ["brightness"]
    assert off.state == "off"
    assert off.attributes["brightness"] is None
    assert off.attributes["color_mode"] is None


async def test_sensor_attributes(demo_hub: Hub, demo: DemoEntities) -> None:
    sensor = demo_hub.states.get("sensor.demo_sensor_1")
    assert sensor is not None
    assert float(sensor.state) > 0
    assert sensor.attributes["unit_of_measurement"] == "°C"
    assert sensor.attributes["device_class"] == "temperature"
    assert sensor.attributes["friendly_name"] == "Demo Sensor 1"


async def test_services_registered(demo_hub: Hub, demo: DemoEntities) -> None:
    for domain in ("light", "switch", "homeassistant"):
        for service in ("turn_on", "turn_off", "toggle"):
            assert demo_hub.services.has(domain, service)
    fields = demo_hub.services.as_dict()["light"]["turn_on"]["fields"]
    assert set(fields) == {
        "brightness", "brightness_pct", "color_temp_kelvin", "color_temp", "rgb_color", "transition"
    }  # fmt: skip


async def test_sensors_change_on_timer(demo_hub: Hub) -> None:
    changed: list[Event] = []
    await async_setup(demo_hub, DemoConf(lights=0, switches=0, sensors=3, sensor_interval=0.01))  # type: ignore[arg-type]
    demo_hub.bus.listen(EVENT_STATE_CHANGED, changed.append)
    async with asyncio.timeout(5):
        while len({event.data["entity_id"] for event in changed}) < 3 or len(changed) < 6:
            await asyncio.sleep(0.01)
    first = changed[0].data
    assert first["old_state"] is not None
    assert first["new_state"].state != first["old_state"].state
    assert first["new_state"].last_changed > first["old_state"].last_changed


async def test_stop_cancels_sensor_task(demo_hub: Hub) -> None:
    await async_setup(demo_hub, DemoConf(sensor_interval=0.01))  # type: ignore[arg-type]
    assert demo_hub.task_count == 1
    await demo_hub.stop()
    assert demo_hub.task_count == 0
    before = {state.entity_id: state for state in demo_hub.states.all("sensor")}
    await asyncio.sleep(0.05)
    after = {state.entity_id: state for state in demo_hub.states.all("sensor")}
    assert before == after
    assert all(before[key] is after[key] for key in before)


async def test_no_sensors_no_task(demo_hub: Hub) -> None:
    await async_setup(demo_hub, DemoConf(sensors=0))  # type: ignore[arg-type]
    assert demo_hub.task_count == 0


async def test_thousands_of_entities(demo_hub: Hub) -> None:
    conf = DemoConf(lights=2000, switches=2000, sensors=2000, sensor_interval=0.01)
    await async_setup(demo_hub, conf)  # type: ignore[arg-type]
    assert len(demo_hub.states) == 6000
    assert demo_hub.states.get("light.demo_light_2000") is not None
    changed: set[str] = set()
    demo_hub.bus.listen(EVENT_STATE_CHANGED, lambda event: changed.add(event.data["entity_id"]))
    async with asyncio.timeout(10):
        while len(changed) < 1900:
            await asyncio.sleep(0.01)
    await demo_hub.services.call("light", "turn_off", {"entity_id": "all"})
    assert all(state.state == "off" for state in demo_hub.states.all("light"))
    body = b"[" + b",".join(state.as_json() for state in demo_hub.states.all()) + b"]"
    assert body.count(b'"entity_id"') == 6000


async def test_setup_with_the_real_config_section(demo_hub: Hub) -> None:
    schema = pytest.importorskip("hearth.config.schema")
    await async_setup(demo_hub, schema.DemoSection(lights=1, switches=1, sensors=1))
    assert len(demo_hub.states) == 3
