"""Entities that are on or off (lights, switches), and their turn_on / turn_off / toggle."""

from __future__ import annotations

from typing import Any

from hearth.core.context import Context
from hearth.integrations.domains import EntityService
from hearth.integrations.domains.schemas import TargetData
from hearth.integrations.entity import STATE_OFF, STATE_ON, Entity


class ToggleEntity(Entity):
    """An entity that is on, off or not known yet (None)."""

    is_on: bool | None = None

    @property
    def state(self) -> str | None:
        """ "on", "off" or None (unknown)."""
        if self.is_on is None:
            return None
        return STATE_ON if self.is_on else STATE_OFF

    async def turn_on(self, context: Context) -> None:
        """Switch on."""
        raise NotImplementedError

    async def turn_off(self, context: Context) -> None:
        """Switch off."""
        raise NotImplementedError

    async def toggle(self, context: Context) -> None:
        """Switch to the other state (on, when the state is not known)."""
        if self.is_on:
            await self.turn_off(context)
        else:
            await self.turn_on(context)


async def _turn_on(entity: Any, data: Any, context: Context) -> None:
    await entity.turn_on(context)


async def _turn_off(entity: Any, data: Any, context: Context) -> None:
    await entity.turn_off(context)


async def _toggle(entity: Any, data: Any, context: Context) -> None:
    await entity.toggle(context)


def toggle_services(plural: str) -> tuple[EntityService, ...]:
    """turn_on, turn_off and toggle for entities that take no further data."""
    return (
        EntityService("turn_on", TargetData, _turn_on, f"Turn on {plural}."),
        EntityService("turn_off", TargetData, _turn_off, f"Turn off {plural}."),
        EntityService("toggle", TargetData, _toggle, f"Toggle {plural}."),
    )


TOGGLE_OFF = _turn_off
TOGGLE = _toggle
