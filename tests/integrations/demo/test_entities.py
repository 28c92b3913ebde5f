"""Tests for hearth.integrations.demo.entities."""

from __future__ import annotations

import random

from hearth.core.hub import Hub
from hearth.integrations.demo.entities import SENSOR_MAX, SENSOR_MIN, DemoLight, DemoSensor


def test_sensor_drift_changes_and_stays_in_range() -> None:
    sensor = DemoSensor(Hub(), 1, "Sensor", value=SENSOR_MAX)
    rng = random.Random(42)
    for _ in range(2000):
        before = sensor.state
        sensor.drift(rng)
        assert sensor.state != before
        assert SENSOR_MIN <= sensor.value <= SENSOR_MAX


def test_light_remembers_brightness_while_off() -> None:
    light = DemoLight(Hub(), 1, "Light", is_on=True, brightness=100)
    light.turn_off()
    assert light.attributes()["brightness"] is None
    light.toggle()
    assert light.is_on
    assert light.attributes()["brightness"] == 100
    light.turn_on(0)
    assert not light.is_on
    assert light.entity_id == "light.demo_light_1"
