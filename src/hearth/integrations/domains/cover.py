"""Covers (blinds, shutters, garage doors): open, close, stop, set a position."""

from __future__ import annotations

from enum import IntFlag
from typing import Any, Final

from hearth.core.context import Context
from hearth.integrations.domains import DomainSpec, EntityService
from hearth.integrations.domains.schemas import CoverPositionData, TargetData
from hearth.integrations.entity import Entity

STATES: Final = frozenset({"open", "opening", "closed", "closing", "stopped"})


class CoverFeature(IntFlag):
    """Home Assistant's cover feature bits."""

    OPEN = 1
    CLOSE = 2
    SET_POSITION = 4
    STOP = 8


class CoverEntity(Entity):
    """A cover; `cover_state` one of STATES or None, `position` 0 (closed) to 100 (open)."""

    domain = "cover"
    cover_state: str | None = None
    position: int | None = None
    features: CoverFeature = CoverFeature.OPEN | CoverFeature.CLOSE

    @property
    def state(self) -> str | None:
        """open, opening, closed, closing, or None (unknown)."""
        if self.cover_state == "stopped":
            return "open"
        return self.cover_state

    def capability_attributes(self) -> dict[str, Any]:
        """supported_features."""
        return {"supported_features": int(self.features)}

    def state_attributes(self) -> dict[str, Any]:
        """current_position, when the cover reports one."""
        if self.position is None:
            return {}
        return {"current_position": self.position}

    async def open_cover(self, context: Context) -> None:
        """Open."""
        raise NotImplementedError

    async def close_cover(self, context: Context) -> None:
        """Close."""
        raise NotImplementedError

    async def stop_cover(self, context: Context) -> None:
        """Stop moving."""
        raise NotImplementedError

    async def set_position(self, position: int, context: Context) -> None:
        """Move to `position` (0 closed, 100 open)."""
        raise NotImplementedError


async def _open(entity: Any, data: Any, context: Context) -> None:
    await entity.open_cover(context)


async def _close(entity: Any, data: Any, context: Context) -> None:
    await entity.close_cover(context)


async def _stop(entity: Any, data: Any, context: Context) -> None:
    await entity.stop_cover(context)


async def _position(entity: Any, data: CoverPositionData, context: Context) -> None:
    await entity.set_position(data.position, context)


SPEC = DomainSpec(
    "cover",
    (
        EntityService("open_cover", TargetData, _open, "Open covers."),
        EntityService("close_cover", TargetData, _close, "Close covers."),
        EntityService("stop_cover", TargetData, _stop, "Stop covers."),
        EntityService(
            "set_cover_position", CoverPositionData, _position, "Move covers to a position."
        ),
    ),
)
