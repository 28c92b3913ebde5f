"""The demo's simulated devices: lights, switches and temperature sensors."""

from __future__ import annotations

import random
from typing import Final

from hearth.core.context import Context
from hearth.integrations.domains.light import BRIGHTNESS, LightEntity, TurnOn
from hearth.integrations.domains.sensor import SensorEntity
from hearth.integrations.domains.switch import SwitchEntity

SENSOR_MIN: Final = 10.0
SENSOR_MAX: Final = 35.0


def _object_id(domain: str, number: int) -> str:
    """The object id of the demo's `number`th entity of `domain`.

    The unique id is the whole entity id, as the demo always had it, so that registries kept from
    earlier versions still match.
    """
    return f"demo_{domain}_{number}"


class DemoSwitch(SwitchEntity):
    """A simulated switch: does what it is told at once."""

    def __init__(self, number: int, name: str, *, is_on: bool) -> None:
        object_id = _object_id("switch", number)
        super().__init__(name=name, unique_id=f"switch.{object_id}", object_id=object_id)
        self.is_on = is_on

    async def turn_on(self, context: Context) -> None:
        """Switch on."""
        self.is_on = True
        self.write(context)

    async def turn_off(self, context: Context) -> None:
        """Switch off."""
        self.is_on = False
        self.write(context)


class DemoLight(LightEntity):
    """A simulated dimmable light; remembers its brightness while off."""

    supported_color_modes = (BRIGHTNESS,)

    def __init__(self, number: int, name: str, *, is_on: bool, brightness: int) -> None:
        object_id = _object_id("light", number)
        super().__init__(name=name, unique_id=f"light.{object_id}", object_id=object_id)
        self.is_on = is_on
        self.brightness = brightness

    async def turn_on(self, context: Context, request: TurnOn | None = None) -> None:
        """Switch on, at the requested brightness if any."""
        if request is not None and request.brightness is not None:
            self.brightness = request.brightness
        self.is_on = True
        self.write(context)

    async def turn_off(self, context: Context) -> None:
        """Switch off."""
        self.is_on = False
        self.write(context)


class DemoSensor(SensorEntity):
    """A simulated temperature sensor whose reading drifts."""

    def __init__(self, number: int, name: str, *, value: float) -> None:
        object_id = _object_id("sensor", number)
        super().__init__(
            name=name,
            unique_id=f"sensor.{object_id}",
            object_id=object_id,
            device_class="temperature",
        )
        self.reading = value
        self.state_class = "measurement"
        self.unit_of_measurement = "°C"

    @property
    def state(self) -> str:
        """The reading with one decimal."""
        return f"{self.reading:.1f}"

    def drift(self, rng: random.Random) -> None:
        """Move the reading by 0.1 to 0.5 degrees, staying within a plausible indoor range."""
        step = round(rng.uniform(0.1, 0.5), 1)
        if rng.random() < 0.5:
            step = -step
        if not SENSOR_MIN <= self.reading + step <= SENSOR_MAX:
            step = -step
        self.reading = round(self.reading + step, 1)
