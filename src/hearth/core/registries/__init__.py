"""Entity, device, area, floor and label registries, as Home Assistant's frontend needs them.

A hub always has registries; without a database (tests, tools) they keep nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from hearth.core.events import EventBus
from hearth.core.registries.devices import DeviceRegistry
from hearth.core.registries.entities import EntityRegistry, Registration
from hearth.core.registries.items import AREA, FLOOR, LABEL, ItemRegistry
from hearth.core.registries.store import Change, ItemStore, MemoryStore, RegistryStore

__all__ = ["Registration", "Registries", "RegistryStore"]


class Registries:
    """The five registries over one store, with references cleared when a target is removed."""

    def __init__(self, bus: EventBus, store: ItemStore | None = None) -> None:
        store = store or MemoryStore()
        self.areas = ItemRegistry(AREA, bus, store)
        self.floors = ItemRegistry(FLOOR, bus, store)
        self.labels = ItemRegistry(LABEL, bus, store)
        self.entities = EntityRegistry(bus, store, self._exists)
        self.devices = DeviceRegistry(bus, store, self._exists)
        for registry in (self.areas, self.floors, self.labels):
            registry.take = self._take
        self.areas.on_remove.append(self._area_removed)
        self.floors.on_remove.append(
            lambda floor_id: self.areas.clear_reference("floor_id", floor_id)
        )
        self.labels.on_remove.append(self._label_removed)

    def _exists(self, kind: str, item_id: str) -> bool:
        registry = {"area": self.areas, "floor": self.floors, "label": self.labels}[kind]
        return item_id in registry

    def _area_removed(self, area_id: str) -> list[Change]:
        return self.entities.clear_reference("area_id", area_id) + self.devices.clear_reference(
            "area_id", area_id
        )

    def _label_removed(self, label_id: str) -> list[Change]:
        return (
            self.entities.clear_reference("labels", label_id)
            + self.devices.clear_reference("labels", label_id)
            + self.areas.clear_reference("labels", label_id)
        )

    def _take(self, changes: Iterable[Change]) -> None:
        written = list(changes)
        for registry in (self.areas, self.floors, self.labels):
            registry.take_own(written)
        self.entities.take(written)
        self.devices.take(written)
