"""The demo's simulated devices: lights, switches and temperature sensors."""

from __future__ import annotations

import random
from typing import Any, ClassVar, Final

from hearth.core.context import Context
from hearth.core.hub import Hub
from hearth.core.state import State

STATE_ON: Final = "on"
STATE_OFF: Final = "off"
FULL_BRIGHTNESS: Final = 255
SENSOR_MIN: Final = 10.0
SENSOR_MAX: Final = 35.0


class DemoEntity:
    """A simulated device that owns its state and writes it to the hub."""

    domain: ClassVar[str]

    def __init__(self, hub: Hub, number: int, name: str) -> None:
        self.hub = hub
        self.entity_id = f"{self.domain}.demo_{self.domain}_{number}"
        self.name = name

    @property
    def state(self) -> str:
        """The state string."""
        raise NotImplementedError

    def attributes(self) -> dict[str, Any]:
        """The state attributes."""
        return {"friendly_name": self.name}

    def write(self, context: Context | None = None) -> State:
        """Publish the current state (with the name and icon people chose) to the state machine."""
        attributes = self.hub.registries.entities.apply(self.entity_id, self.attributes())
        return self.hub.states.set(self.entity_id, self.state, attributes, context=context)


class DemoToggle(DemoEntity):
    """A device that is on or off."""

    def __init__(self, hub: Hub, number: int, name: str, *, is_on: bool) -> None:
        super().__init__(hub, number, name)
        self.is_on = is_on

    @property
    def state(self) -> str:
        """ "on" or "off"."""
        return STATE_ON if self.is_on else STATE_OFF

    def turn_on(self) -> None:
        """Switch on."""
        self.is_on = True

    def turn_off(self) -> None:
        """Switch off."""
        self.is_on = False

    def toggle(self) -> None:
        """Switch to the other state."""
        if self.is_on:
            self.turn_off()
        else:
            self.turn_on()


class DemoSwitch(DemoToggle):
    """A simulated switch."""

    domain = "switch"


class DemoLight(DemoToggle):
    """A simulated dimmable light; remembers its brightness while off."""

    domain = "light"

    def __init__(self, hub: Hub, number: int, name: str, *, is_on: bool, brightness: int) -> None:
        super().__init__(hub, number, name, is_on=is_on)
        self.brightness = brightness

    def turn_on(self, brightness: int | None = None) -> None:
        """Switch on, optionally at a brightness (0 switches off, as in Home Assistant)."""
        if brightness == 0:
            self.is_on = False
            return
        if brightness is not None:
            self.brightness = brightness
        self.is_on = True

    def attributes(self) -> dict[str, Any]:
        """Home Assistant's light attributes; brightness and color_mode are None while off."""
        return {
            "supported_color_modes": ("brightness",),
            "color_mode": "brightness" if self.is_on else None,
            "brightness": self.brightness if self.is_on else None,
            "friendly_name": self.name,
            "supported_features": 0,
        }


class DemoSensor(DemoEntity):
    """A simulated temperature sensor whose reading drifts."""

    domain = "sensor"

    def __init__(self, hub: Hub, number: int, name: str, *, value: float) -> None:
        super().__init__(hub, number, name)
        self.value = value

    @property
    def state(self) -> str:
        """The reading with one decimal."""
        return f"{self.value:.1f}"

    def drift(self, rng: random.Random) -> None:
        """Move the reading by 0.1 to 0.5 degrees, staying within a plausible indoor range."""
        step = round(rng.uniform(0.1, 0.5), 1)
        if rng.random() < 0.5:
            step = -step
        if not SENSOR_MIN <= self.value + step <= SENSOR_MAX:
            step = -step
        self.value = round(self.value + step, 1)

    def attributes(self) -> dict[str, Any]:
        """A temperature measurement in °C."""
        return {
            "state_class": "measurement",
            "unit_of_measurement": "°C",
            "device_class": "temperature",
            "friendly_name": self.name,
        }
