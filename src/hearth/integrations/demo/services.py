"""The demo's services: light.*, switch.* and homeassistant.* turn_on / turn_off / toggle."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal, TypeVar

from hearth.core.hub import Hub
from hearth.core.services import ServiceCall, ServiceCheck, ServiceHandler
from hearth.exceptions import ServiceValidationError
from hearth.integrations.demo.entities import DemoLight, DemoSensor, DemoSwitch, DemoToggle
from hearth.integrations.demo.schemas import LightTurnOnData, TargetData

TOGGLE_SERVICES: Final = ("turn_on", "turn_off", "toggle")
TOGGLE_DOMAINS: Final = ("light", "switch")
PLURALS: Final = {"light": "lights", "switch": "switches"}
E = TypeVar("E", bound=DemoToggle)


@dataclass(slots=True)
class DemoEntities:
    """Every entity the demo created, by entity id."""

    lights: dict[str, DemoLight] = field(default_factory=dict)
    switches: dict[str, DemoSwitch] = field(default_factory=dict)
    sensors: dict[str, DemoSensor] = field(default_factory=dict)

    def toggles(self, domain: str) -> Mapping[str, DemoToggle]:
        """The lights or the switches."""
        return self.lights if domain == "light" else self.switches


def _resolve(entities: Mapping[str, E], target: list[str] | Literal["all"], kind: str) -> list[E]:
    """The entities a call targets; ServiceValidationError naming the first unknown one."""
    if target == "all":
        return list(entities.values())
    unknown = [entity_id for entity_id in target if entity_id not in entities]
    if unknown:
        # Entity ids are validated (a-z, 0-9, _ and one dot), so they are safe to show.
        more = f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""
        raise ServiceValidationError(f"entity_id: {unknown[0]} is not a demo {kind}{more}")
    return [entities[entity_id] for entity_id in target]


def _apply(entity: DemoToggle, service: str) -> None:
    if service == "turn_on":
        entity.turn_on()
    elif service == "turn_off":
        entity.turn_off()
    else:
        entity.toggle()


def _toggle_handler(entities: DemoEntities, domain: str, service: str) -> ServiceHandler:
    def handler(call: ServiceCall) -> None:
        targets = _resolve(entities.toggles(domain), call.parsed(TargetData).entity_id, domain)
        brightness = None
        if service == "turn_on" and domain == "light":
            brightness = call.parsed(LightTurnOnData).target_brightness()
        for entity in targets:
            if brightness is not None and isinstance(entity, DemoLight):
                entity.turn_on(brightness)
            else:
                _apply(entity, service)
            entity.write(call.context)

    return handler


def _generic_groups(
    entities: DemoEntities, target: list[str] | Literal["all"]
) -> list[tuple[str, list[str] | Literal["all"]]]:
    """The per-domain calls of a homeassistant.* call; ServiceValidationError for a bad id."""
    if target == "all":
        return [(domain, "all") for domain in TOGGLE_DOMAINS]
    groups: dict[str, list[str]] = {}
    for entity_id in target:
        domain = entity_id.partition(".")[0]
        if domain not in TOGGLE_DOMAINS or entity_id not in entities.toggles(domain):
            raise ServiceValidationError(f"entity_id: {entity_id} is not a demo light or switch")
        groups.setdefault(domain, []).append(entity_id)
    return list(groups.items())


def _generic_handler(hub: Hub, entities: DemoEntities, service: str) -> ServiceHandler:
    """homeassistant.* dispatches to the light and switch services by each entity's domain."""

    async def handler(call: ServiceCall) -> None:
        calls = _generic_groups(entities, call.parsed(TargetData).entity_id)
        # Every id was checked before the first call, so a bad one leaves all entities untouched.
        for domain, ids in calls:
            if hub.services.has(domain, service):
                await hub.services.call(domain, service, {"entity_id": ids}, context=call.context)

    return handler


def _check_generic(entities: DemoEntities) -> ServiceCheck:
    def check(call: ServiceCall) -> None:
        _generic_groups(entities, call.parsed(TargetData).entity_id)

    return check


def _check_toggle(entities: DemoEntities, domain: str) -> ServiceCheck:
    def check(call: ServiceCall) -> None:
        _resolve(entities.toggles(domain), call.parsed(TargetData).entity_id, domain)

    return check


def register_services(hub: Hub, entities: DemoEntities) -> None:
    """Register light.*, switch.* and homeassistant.* turn_on, turn_off and toggle.

    Each checks its target before call_service is fired, so a call naming an unknown entity is
    refused without being announced to call_service subscribers.
    """
    for domain in TOGGLE_DOMAINS:
        for service in TOGGLE_SERVICES:
            hub.services.register(
                domain,
                service,
                _toggle_handler(entities, domain, service),
                LightTurnOnData if (domain, service) == ("light", "turn_on") else TargetData,
                description=f"{service.replace('_', ' ').capitalize()} {PLURALS[domain]}.",
                target={"entity": [{"domain": [domain]}]},
                check=_check_toggle(entities, domain),
            )
    for service in TOGGLE_SERVICES:
        hub.services.register(
            "homeassistant",
            service,
            _generic_handler(hub, entities, service),
            TargetData,
            description=f"Generic {service.replace('_', ' ')} for lights and switches.",
            target={"entity": [{}]},
            check=_check_generic(entities),
        )
