"""Buttons: press to do something once; the state is the time of the last press."""

from __future__ import annotations

from typing import Any

from hearth.core.context import Context
from hearth.core.state import utcnow
from hearth.integrations.domains import DomainSpec, EntityService
from hearth.integrations.domains.schemas import TargetData
from hearth.integrations.entity import Entity


class ButtonEntity(Entity):
    """A button."""

    domain = "button"
    last_pressed: str | None = None

    @property
    def state(self) -> str | None:
        """When it was last pressed (ISO 8601), or None."""
        return self.last_pressed

    async def press(self, context: Context) -> None:
        """Do what the button does."""
        raise NotImplementedError


async def _press(entity: Any, data: Any, context: Context) -> None:
    await entity.press(context)
    entity.last_pressed = utcnow().isoformat()
    entity.write(context)


SPEC = DomainSpec("button", (EntityService("press", TargetData, _press, "Press buttons."),))
