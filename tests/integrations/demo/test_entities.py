"""Tests for hearth.integrations.demo.entities."""

from __future__ import annotations

import random

from hearth.core.context import Context
from hearth.core.hub import Hub
from hearth.integrations.demo.entities import SENSOR_MAX, SENSOR_MIN, DemoLight, DemoSensor
from hearth.integrations.domains.light import TurnOn
from hearth.integrations.platform import EntityPlatform


def test_sensor_drift_changes_and_stays_in_range() -> None:
    sensor = DemoSensor(1, "Sensor", value=SENSOR_MAX)
    rng = random.Random(42)
    for _ in range(2000):
        before = sensor.state
        sensor.drift(rng)
        assert sensor.state != before
        assert SENSOR_MIN <= sensor.reading <= SENSOR_MAX


async def test_light_remembers_brightness_while_off() -> None:
    hub = Hub()
    light = DemoLight(1, "Light", is_on=True, brightness=100)
    await EntityPlatform(hub, "demo").add([light])
    assert light.entity_id == "light.demo_light_1"
    await light.turn_off(Context())
    assert light.state_attributes()["brightness"] is None
    await light.toggle(Context())
    assert light.is_on
    assert light.state_attributes()["brightness"] == 100
    await light.turn_on(Context(), TurnOn(brightness=7))
    state = hub.states.get("light.demo_light_1")
    assert state is not None
    assert state.attributes["brightness"] == 7
