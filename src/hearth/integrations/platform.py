"""One integration's entities: their ids, registry entries, devices and life on the hub.

Threat: an integration that takes ids from outside (MQTT discovery) must never take over an
entity another integration provides, nor a state someone else wrote. The platform alone picks
entity ids: the one the registry already gave this integration's unique id, or a new one that
no registry entry and no current state uses.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Final

from hearth.core.registries import Registration
from hearth.core.registries.items import slugify
from hearth.core.state import valid_entity_id
from hearth.integrations.entity import Entity

if TYPE_CHECKING:
    from hearth.core.hub import Hub

_LOGGER = logging.getLogger(__name__)

MAX_OBJECT_ID: Final = 200  # characters of the part after the dot, before a `_2` suffix
MAX_SUFFIX: Final = 10_000


class EntityPlatform:
    """Adds, refreshes and removes the entities of one integration."""

    def __init__(self, hub: Hub, integration: str) -> None:
        self.hub = hub
        self.integration = integration
        self.entities: dict[str, Entity] = {}
        self._untrack: dict[str, object] = {}
        # Registry writes await the writer thread: one change at a time, so that an id picked
        # for one entity is registered before the next entity picks its own.
        self._lock = asyncio.Lock()

    def __len__(self) -> int:
        return len(self.entities)

    def _owned_by_us(self, entity_id: str, unique_id: str | None) -> bool:
        owner = self.hub.registries.entities.owner(entity_id)
        return owner is not None and owner == (self.integration, unique_id)

    def _free(self, entity_id: str, unique_id: str | None, claimed: set[str]) -> bool:
        if entity_id in claimed or entity_id in self.entities:
            return False
        registry = self.hub.registries.entities
        if entity_id in registry:
            return self._owned_by_us(entity_id, unique_id) and entity_id not in self.entities
        return entity_id not in self.hub.states

    def pick_entity_id(self, entity: Entity, claimed: set[str] | None = None) -> str:
        """The id `entity` gets: its registered one, else a new one nobody else uses."""
        claimed = claimed if claimed is not None else set()
        registry = self.hub.registries.entities
        if entity.unique_id is not None:
            known = registry.entity_id_for(self.integration, entity.unique_id)
            if known is not None and known not in self.entities and known not in claimed:
                return known
        suggestion = entity.object_id or entity.name or entity.unique_id or self.integration
        slug = slugify(suggestion)[:MAX_OBJECT_ID].strip("_") or self.integration
        base = f"{entity.domain}.{slug}"
        if not valid_entity_id(base):
            base = f"{entity.domain}.{self.integration}"
        candidate = base
        for number in range(2, MAX_SUFFIX):
            if self._free(candidate, entity.unique_id, claimed):
                return candidate
            candidate = f"{base}_{number}"
        raise ValueError(f"no free entity id for {base}")

    async def add(self, entities: Iterable[Entity]) -> list[Entity]:
        """Give each entity an id, register it (and its device) and write its first state."""
        async with self._lock:
            return await self._add(entities)

    async def _add(self, entities: Iterable[Entity]) -> list[Entity]:
        added: list[Entity] = []
        claimed: set[str] = set()
        registrations = []
        for entity in entities:
            entity.entity_id = self.pick_entity_id(entity, claimed)
            claimed.add(entity.entity_id)
            entity.device_id = await self._device(entity)
            if entity.unique_id is not None:
                registrations.append(
                    Registration(
                        entity.entity_id,
                        self.integration,
                        entity.unique_id,
                        entity.name,
                        entity.icon,
                        entity.device_class,
                        entity.device_id,
                        entity.entity_category,
                    )
                )
            added.append(entity)
        # One registry write (one transaction) however many entities: the demo adds thousands.
        await self.hub.registries.entities.register(registrations)
        for entity in added:
            entity.hub = self.hub
            entity.integration = self.integration
            self.entities[entity.entity_id] = entity
            self._untrack[entity.entity_id] = self.hub.registries.entities.track(
                entity.entity_id, entity.write
            )
            self.hub.entity_components.add(entity)
            # Subscriptions first, so that the first state already knows the availability.
            entity.on_added()
            entity.write()
        return added

    async def refresh(self, entity: Entity) -> None:
        """Store what changed in an entity's description (name, device) and write it."""
        async with self._lock:
            if self.entities.get(entity.entity_id) is not entity:
                return  # removed while this refresh waited
            entity.device_id = await self._device(entity)
            if entity.unique_id is not None:
                await self.hub.registries.entities.register(
                    [
                        Registration(
                            entity.entity_id,
                            self.integration,
                            entity.unique_id,
                            entity.name,
                            entity.icon,
                            entity.device_class,
                            entity.device_id,
                            entity.entity_category,
                        )
                    ]
                )
            entity.write()

    async def remove(self, entity: Entity, *, forget: bool = False) -> None:
        """Take an entity off the hub; `forget` also drops its registry entry and lone device."""
        async with self._lock:
            if self.entities.get(entity.entity_id) is not entity:
                return
            del self.entities[entity.entity_id]
            untrack = self._untrack.pop(entity.entity_id, None)
            if callable(untrack):
                untrack()
            self.hub.entity_components.remove(entity)
            entity.on_removed()
            self.hub.states.remove(entity.entity_id)
            entity.hub = None
            if forget:
                await self.hub.registries.entities.forget([entity.entity_id])
                if entity.device_id is not None and not any(
                    other.device_id == entity.device_id for other in self.entities.values()
                ):
                    await self.hub.registries.devices.forget(entity.device_id)

    async def _device(self, entity: Entity) -> str | None:
        info = entity.device_info
        if info is None or not (info.identifiers or info.connections):
            return None
        devices = self.hub.registries.devices
        described = info.described()
        if info.via_device is not None:
            described["via_device_id"] = devices.find([info.via_device])
        return await devices.ensure(info.identifiers, info.connections, described)
