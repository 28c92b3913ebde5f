"""Entity components: per domain (light, lock ...), every entity of every integration, and the
domain's services, which act on whichever entities a call targets.

A domain's services are registered once, when its first entity is added, so two integrations
that both provide lights share `light.turn_on`. `homeassistant.turn_on` / `turn_off` / `toggle`
dispatch to the domains of the targeted entities.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol

from hearth.core.services import ServiceCall
from hearth.exceptions import HearthError, ServiceValidationError, Unavailable
from hearth.integrations.domains import DOMAINS, EntityService
from hearth.integrations.domains.schemas import TargetData

if TYPE_CHECKING:
    from hearth.core.hub import Hub
    from hearth.integrations.entity import Entity

_LOGGER = logging.getLogger(__name__)

GENERIC_DOMAIN: Final = "homeassistant"
GENERIC_SERVICES: Final = {"turn_on": "turned on", "turn_off": "turned off", "toggle": "toggled"}
_MAX_SHOWN: Final = 3


class AuditSink(Protocol):
    """What the components need from the audit log (hearth.storage.audit.AuditLog.record)."""

    def record(
        self,
        event: str,
        *,
        user_id: str | None = None,
        username: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Append one event."""


class EntityComponents:
    """Every entity by domain, and the services of the domains that have entities."""

    def __init__(self, hub: Hub) -> None:
        self._hub = hub
        self._entities: dict[str, dict[str, Entity]] = {}
        # Sensitive services (lock.unlock) are recorded here, with the calling user.
        self.audit: AuditSink | None = None
        self.username_of: Callable[[str], str | None] = lambda _user_id: None
        self._generic_registered = False

    def entities(self, domain: str) -> Mapping[str, Entity]:
        """The entities of one domain, by entity id."""
        return self._entities.get(domain, {})

    def add(self, entity: Entity) -> None:
        """Track an added entity; the first of its domain registers the domain's services."""
        domain = entity.domain
        if domain not in self._entities:
            self._entities[domain] = {}
            self._register(domain)
        self._entities[domain][entity.entity_id] = entity
        self._hub.components.add(domain)

    def remove(self, entity: Entity) -> None:
        """Stop tracking a removed entity (the domain's services stay)."""
        found = self._entities.get(entity.domain, {})
        if found.get(entity.entity_id) is entity:
            del found[entity.entity_id]

    # Services.

    def _register(self, domain: str) -> None:
        spec = DOMAINS.get(domain)
        if spec is None:
            return
        for service in spec.services:
            self._hub.services.register(
                domain,
                service.name,
                self._handler(domain, service),
                service.schema,
                description=service.description,
                target={"entity": [{"domain": [domain]}]},
                check=self._check(domain),
            )
        if not self._generic_registered and any(
            service.name in GENERIC_SERVICES for service in spec.services
        ):
            self._register_generic()

    def _resolve(
        self, domain: str, target: list[str] | Literal["all"], *, strict: bool = True
    ) -> list[Entity]:
        """The entities a call targets; refused (before anything runs) for unknown or unavailable
        ones named explicitly. `all` means every available entity of the domain."""
        entities = self._entities.get(domain, {})
        if target == "all":
            return [entity for entity in entities.values() if entity.available]
        unknown = [entity_id for entity_id in target if entity_id not in entities]
        if unknown:
            # Entity ids are validated (a-z, 0-9, _ and one dot), so they are safe to show.
            more = f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""
            raise ServiceValidationError(f"entity_id: {unknown[0]} is not a {domain}{more}")
        found = [entities[entity_id] for entity_id in target]
        down = [entity.entity_id for entity in found if not entity.available]
        if down and strict:
            shown = ", ".join(down[:_MAX_SHOWN]) + (" ..." if len(down) > _MAX_SHOWN else "")
            raise Unavailable(f"{shown}: unavailable; nothing was sent.")
        return found

    def _check(self, domain: str) -> Callable[[ServiceCall], None]:
        def check(call: ServiceCall) -> None:
            self._resolve(domain, call.parsed(TargetData).entity_id)

        return check

    def _handler(self, domain: str, service: EntityService) -> Callable[[ServiceCall], Any]:
        async def handler(call: ServiceCall) -> None:
            targets = self._resolve(domain, call.parsed(TargetData).entity_id)
            request = call.parsed(service.schema)
            first_error: HearthError | None = None
            for entity in targets:
                try:
                    await service.run(entity, request, call.context)
                except HearthError as err:
                    first_error = first_error or err
                    self._audit(service, entity, call, f"failed: {err.message}")
                else:
                    self._audit(service, entity, call, "sent")
            if first_error is not None:
                raise first_error

        return handler

    def _audit(
        self, service: EntityService, entity: Entity, call: ServiceCall, result: str
    ) -> None:
        if service.audit_event is None or self.audit is None:
            return
        user_id = call.context.user_id
        self.audit.record(
            service.audit_event,
            user_id=user_id,
            username=self.username_of(user_id) if user_id is not None else None,
            details={
                "entity_id": entity.entity_id,
                "service": f"{entity.domain}.{service.name}",
                "integration": entity.integration,
                "result": result,
            },
        )

    # homeassistant.turn_on / turn_off / toggle.

    def _register_generic(self) -> None:
        self._generic_registered = True
        for service, verb in GENERIC_SERVICES.items():
            self._hub.services.register(
                GENERIC_DOMAIN,
                service,
                self._generic_handler(service, verb),
                TargetData,
                description=f"Generic {service.replace('_', ' ')} for any entity that can be "
                f"{verb}.",
                target={"entity": [{}]},
                check=self._generic_check(service, verb),
            )

    def _groups(
        self, service: str, verb: str, target: list[str] | Literal["all"]
    ) -> list[tuple[str, list[str] | Literal["all"]]]:
        """The per-domain calls of a homeassistant.* call; refused for one it cannot act on."""
        supports = [domain for domain in self._entities if self._hub.services.has(domain, service)]
        if target == "all":
            return [(domain, "all") for domain in supports]
        groups: dict[str, list[str]] = {}
        for entity_id in target:
            domain = entity_id.partition(".")[0]
            if entity_id not in self._entities.get(domain, {}):
                raise ServiceValidationError(f"entity_id: {entity_id} is not a known entity")
            if domain not in supports:
                raise ServiceValidationError(f"entity_id: {entity_id} cannot be {verb}")
            groups.setdefault(domain, []).append(entity_id)
        for domain, ids in groups.items():
            self._resolve(domain, ids)
        return list(groups.items())

    def _generic_check(self, service: str, verb: str) -> Callable[[ServiceCall], None]:
        def check(call: ServiceCall) -> None:
            self._groups(service, verb, call.parsed(TargetData).entity_id)

        return check

    def _generic_handler(self, service: str, verb: str) -> Callable[[ServiceCall], Any]:
        async def handler(call: ServiceCall) -> None:
            groups = self._groups(service, verb, call.parsed(TargetData).entity_id)
            # Every id was checked before the first call, so a bad one leaves all entities alone.
            for domain, ids in groups:
                await self._hub.services.call(
                    domain, service, {"entity_id": ids}, context=call.context
                )

        return handler
