"""The demo integration: simulated lights, switches and temperature sensors."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from hearth.core.hub import Hub
from hearth.core.registries import Registration
from hearth.integrations.demo.entities import DemoLight, DemoSensor, DemoSwitch
from hearth.integrations.demo.services import DemoEntities, register_services

if TYPE_CHECKING:
    from hearth.config.schema import DemoSection

DOMAIN: Final = "demo"
COMPONENTS: Final = ("demo", "homeassistant", "light", "switch", "sensor")
_YIELD_EVERY: Final = 1000  # sensor writes between yields to the event loop


def create_entities(hub: Hub, conf: DemoSection) -> DemoEntities:
    """Create the configured number of each device (not yet written to the state machine)."""
    entities = DemoEntities()
    for number in range(1, conf.lights + 1):
        light = DemoLight(
            hub, number, f"Demo Light {number}", is_on=number % 2 == 1, brightness=180
        )
        entities.lights[light.entity_id] = light
    for number in range(1, conf.switches + 1):
        switch = DemoSwitch(hub, number, f"Demo Switch {number}", is_on=number % 2 == 1)
        entities.switches[switch.entity_id] = switch
    for number in range(1, conf.sensors + 1):
        value = 18.0 + (number % 9) * 0.5
        sensor = DemoSensor(hub, number, f"Demo Sensor {number}", value=value)
        entities.sensors[sensor.entity_id] = sensor
    return entities


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
    """Create the demo entities, register their services and start the sensor timer."""
    entities = create_entities(hub, conf)
    everything = [
        *entities.lights.values(),
        *entities.switches.values(),
        *entities.sensors.values(),
    ]
    await hub.registries.entities.register(
        Registration(entity.entity_id, DOMAIN, entity.entity_id, entity.name)
        for entity in everything
    )
    for entity in everything:
        hub.registries.entities.track(entity.entity_id, entity.write)
    for light in entities.lights.values():
        light.write()
    for switch in entities.switches.values():
        switch.write()
    for sensor in entities.sensors.values():
        sensor.write()
    register_services(hub, entities)
    hub.components.update(COMPONENTS)
    if entities.sensors:
        hub.create_task(
            update_sensors(list(entities.sensors.values()), conf.sensor_interval),
            name="demo sensors",
        )
    return entities
