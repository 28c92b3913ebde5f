"""Binary sensors: on or off, read only (a door contact, motion)."""

from __future__ import annotations

from hearth.integrations.domains import DomainSpec
from hearth.integrations.entity import STATE_OFF, STATE_ON, Entity


class BinarySensorEntity(Entity):
    """A binary sensor; `is_on` None while nothing was reported."""

    domain = "binary_sensor"
    is_on: bool | None = None

    @property
    def state(self) -> str | None:
        """ "on", "off" or None (unknown)."""
        if self.is_on is None:
            return None
        return STATE_ON if self.is_on else STATE_OFF


SPEC = DomainSpec("binary_sensor", ())
