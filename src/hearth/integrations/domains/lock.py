"""Locks: lock, unlock, open. Every call is recorded in the audit log with the user who made it.

Threat: whoever unlocks a door is a security question, not only a state change; the audit log
keeps who asked, for which lock, and whether the command was sent.
"""

from __future__ import annotations

from enum import IntFlag
from typing import Any, Final

from hearth.core.context import Context
from hearth.exceptions import ServiceValidationError
from hearth.integrations.domains import DomainSpec, EntityService
from hearth.integrations.domains.schemas import TargetData
from hearth.integrations.entity import Entity

AUDIT_EVENT: Final = "lock_command"
STATES: Final = frozenset(
    {"locked", "unlocked", "locking", "unlocking", "jammed", "open", "opening"}
)


class LockFeature(IntFlag):
    """Home Assistant's lock feature bits."""

    OPEN = 1


class LockEntity(Entity):
    """A lock; `lock_state` one of STATES or None (unknown)."""

    domain = "lock"
    lock_state: str | None = None
    features: LockFeature = LockFeature(0)

    @property
    def state(self) -> str | None:
        """locked, unlocked, locking, unlocking, jammed, open, opening or None."""
        return self.lock_state

    def capability_attributes(self) -> dict[str, Any]:
        """supported_features."""
        return {"supported_features": int(self.features)}

    async def lock(self, context: Context) -> None:
        """Lock."""
        raise NotImplementedError

    async def unlock(self, context: Context) -> None:
        """Unlock."""
        raise NotImplementedError

    async def open(self, context: Context) -> None:
        """Unlatch (open the door), for locks that can."""
        raise ServiceValidationError(f"entity_id: {self.entity_id} cannot be opened")


async def _lock(entity: Any, data: Any, context: Context) -> None:
    await entity.lock(context)


async def _unlock(entity: Any, data: Any, context: Context) -> None:
    await entity.unlock(context)


async def _open(entity: Any, data: Any, context: Context) -> None:
    await entity.open(context)


SPEC = DomainSpec(
    "lock",
    (
        EntityService("lock", TargetData, _lock, "Lock locks.", AUDIT_EVENT),
        EntityService("unlock", TargetData, _unlock, "Unlock locks.", AUDIT_EVENT),
        EntityService("open", TargetData, _open, "Open (unlatch) locks.", AUDIT_EVENT),
    ),
)
