"""Switches: on or off."""

from __future__ import annotations

from hearth.integrations.domains import DomainSpec
from hearth.integrations.domains.toggle import ToggleEntity, toggle_services


class SwitchEntity(ToggleEntity):
    """A switch."""

    domain = "switch"


SPEC = DomainSpec("switch", toggle_services("switches"))
