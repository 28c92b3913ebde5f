"""The entity domains integrations can provide, each with its entity class and its services.

To add a domain: a module here with the entity base class (state and attributes in Home
Assistant's shape), its services as `EntityService`s (schema from `schemas`, a `run` that calls
the entity), and an entry in DOMAINS.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from pydantic import BaseModel

if TYPE_CHECKING:
    from hearth.core.context import Context
    from hearth.integrations.entity import Entity

# run(entity, validated data, context): act on one targeted entity.
Runner = Callable[["Entity", Any, "Context"], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class EntityService:
    """One service of a domain (light.turn_on), run for each targeted entity."""

    name: str
    schema: type[BaseModel]
    run: Runner
    description: str
    audit_event: str | None = None  # sensitive services are recorded in the audit log


@dataclass(frozen=True, slots=True)
class DomainSpec:
    """A domain's services."""

    domain: str
    services: tuple[EntityService, ...]


def _domains() -> dict[str, DomainSpec]:
    from hearth.integrations.domains import (
        binary_sensor,
        button,
        cover,
        light,
        lock,
        sensor,
        switch,
    )

    modules = (light, switch, sensor, binary_sensor, button, cover, lock)
    return {module.SPEC.domain: module.SPEC for module in modules}


DOMAINS: Final[dict[str, DomainSpec]] = _domains()
