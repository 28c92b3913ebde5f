"""Sensors: a reading, with its unit and how it is to be recorded (state_class)."""

from __future__ import annotations

from typing import Any

from hearth.integrations.domains import DomainSpec
from hearth.integrations.entity import Entity


class SensorEntity(Entity):
    """A sensor; `value` None while nothing was reported."""

    domain = "sensor"
    value: str | None = None
    unit_of_measurement: str | None = None
    state_class: str | None = None

    @property
    def state(self) -> str | None:
        """The reading as text."""
        return self.value

    def capability_attributes(self) -> dict[str, Any]:
        """state_class and unit_of_measurement, when known."""
        attributes: dict[str, Any] = {}
        if self.state_class is not None:
            attributes["state_class"] = self.state_class
        if self.unit_of_measurement is not None:
            attributes["unit_of_measurement"] = self.unit_of_measurement
        return attributes


SPEC = DomainSpec("sensor", ())
