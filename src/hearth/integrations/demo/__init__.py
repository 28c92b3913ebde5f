"""The demo integration: simulated lights, switches and temperature sensors.

It is also the smallest example of the integration API (docs/integrations.md): entities are
subclasses of the domain classes, handed to an EntityPlatform.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from hearth.core.hub import Hub
from hearth.integrations.demo.entities import DemoLight, DemoSensor, DemoSwitch
from hearth.integrations.platform import EntityPlatform

if TYPE_CHECKING:
    from hearth.config.schema import DemoSection

DOMAIN: Final = "demo"
_YIELD_EVERY: Final = 1000  # sensor writes between yields to the event loop


@dataclass(slots=True)
class DemoEntities:
    """Every entity the demo created, by entity id."""

    lights: dict[str, DemoLight] = field(default_factory=dict)
    switches: dict[str, DemoSwitch] = field(default_factory=dict)
    sensors: dict[str, DemoSensor] = field(default_factory=dict)


def create_entities(
    conf: DemoSection,
) -> tuple[list[DemoLight], list[DemoSwitch], list[DemoSensor]]:
    """The configured number of each device (not yet on the hub)."""
    lights = [
        DemoLight(number, f"Demo Light {number}", is_on=number % 2 == 1, brightness=180)
        for number in range(1, conf.lights + 1)
    ]
    switches = [
        DemoSwitch(number, f"Demo Switch {number}", is_on=number % 2 == 1)
        for number in range(1, conf.switches + 1)
    ]
    sensors = [
        DemoSensor(number, f"Demo Sensor {number}", value=18.0 + (number % 9) * 0.5)
        for number in range(1, conf.sensors + 1)
    ]
    return lights, switches, sensors


async def update_sensors(sensors: Sequence[DemoSensor], interval: float) -> None:
    """Every `interval` seconds, drift and publish each sensor reading; runs until cancelled."""
    rng = random.Random()  # noqa: S311 - simulated readings, nothing secret
    while True:
        await asyncio.sleep(interval)
        for index, sensor in enumerate(sensors, 1):
            sensor.drift(rng)
            sensor.write()
            if index % _YIELD_EVERY == 0:
                # Thousands of sensors: let other work (HTTP, WebSocket) run in between.
                await asyncio.sleep(0)


async def async_setup(hub: Hub, conf: DemoSection) -> DemoEntities:
    """Add the demo entities (their services come with their domains) and start the timer."""
    lights, switches, sensors = create_entities(conf)
    platform = EntityPlatform(hub, DOMAIN)
    await platform.add([*lights, *switches, *sensors])
    hub.components.update((DOMAIN, "homeassistant"))
    if sensors:
        hub.create_task(update_sensors(sensors, conf.sensor_interval), name="demo sensors")
    return DemoEntities(
        {light.entity_id: light for light in lights},
        {switch.entity_id: switch for switch in switches},
        {sensor.entity_id: sensor for sensor in sensors},
    )
