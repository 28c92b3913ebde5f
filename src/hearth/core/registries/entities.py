"""The entity registry: what integrations provide, and what people changed about it.

Integrations register their entities (platform, unique id, original name). People may give an
entity a name, an icon, an area, labels, aliases or hide it; those choices survive restarts and
are applied to the entity's state attributes (`friendly_name`, `icon`, `device_class`) whenever
the integration writes it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from hearth.core.events import EventBus
from hearth.core.registries.store import Change, ItemStore
from hearth.exceptions import BadRequest, NotFound

REGISTRY: Final = "entity"
EVENT_ENTITY_REGISTRY_UPDATED: Final = "entity_registry_updated"
# What people may change through the API (config/entity_registry/update).
EDITABLE: Final = frozenset(
    {"name", "icon", "area_id", "labels", "aliases", "hidden_by", "device_class"}
)
ENTITY_CATEGORIES: Final = ("config", "diagnostic")

_DEFAULTS: Final[Mapping[str, Any]] = {
    "id": "",
    "unique_id": None,
    "platform": "",
    "name": None,
    "icon": None,
    "area_id": None,
    "device_id": None,
    "labels": [],
    "aliases": [],
    "hidden_by": None,
    "disabled_by": None,
    "entity_category": None,
    "original_name": None,
    "original_icon": None,
    "device_class": None,
    "original_device_class": None,
    "translation_key": None,
    "has_entity_name": False,
    "options": {},
    "categories": {},
    "config_entry_id": None,
    "created_at": 0.0,
    "modified_at": 0.0,
}
# The fields of config/entity_registry/list (Home Assistant's "partial" entry).
_PARTIAL: Final = (
    "area_id",
    "categories",
    "config_entry_id",
    "created_at",
    "device_id",
    "disabled_by",
    "entity_category",
    "has_entity_name",
    "hidden_by",
    "icon",
    "id",
    "labels",
    "modified_at",
    "name",
    "options",
    "original_name",
    "platform",
    "translation_key",
    "unique_id",
)


@dataclass(frozen=True, slots=True)
class Registration:
    """An entity as its integration describes it."""

    entity_id: str
    platform: str
    unique_id: str
    original_name: str | None = None
    original_icon: str | None = None
    original_device_class: str | None = None


class EntityRegistry:
    """Registry entries by entity id, written through to the store."""

    def __init__(self, bus: EventBus, store: ItemStore, exists: Callable[[str, str], bool]) -> None:
        self._bus = bus
        self._store = store
        # exists("area", id) / exists("label", id): references are checked against the others.
        self._exists = exists
        self._entries: dict[str, dict[str, Any]] = {}
        for entity_id, data in store.load(REGISTRY).items():
            self._entries[entity_id] = _complete(entity_id, data)
        self._trackers: dict[str, list[Callable[[], object]]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, entity_id: object) -> bool:
        return entity_id in self._entries

    # Integrations.

    async def register(self, registrations: Iterable[Registration]) -> None:
        """Add new entities and refresh what their integration says about known ones."""
        async with self._store.lock:
            changes: list[Change] = []
            now = time.time()
            created = []
            for reg in registrations:
                entry = self._entries.get(reg.entity_id)
                described = {
                    "platform": reg.platform,
                    "unique_id": reg.unique_id,
                    "original_name": reg.original_name,
                    "original_icon": reg.original_icon,
                    "original_device_class": reg.original_device_class,
                }
                if entry is None:
                    entry = _complete(
                        reg.entity_id,
                        {
                            **described,
                            "id": uuid.uuid4().hex,
                            "created_at": now,
                            "modified_at": now,
                        },
                    )
                    created.append(reg.entity_id)
                elif all(entry[key] == value for key, value in described.items()):
                    continue
                else:
                    entry = {**entry, **described, "modified_at": now}
                self._entries[reg.entity_id] = entry
                changes.append((REGISTRY, reg.entity_id, _stored(entry)))
            if changes:
                await self._store.write(changes)
            for entity_id in created:
                self._bus.fire(
                    EVENT_ENTITY_REGISTRY_UPDATED, {"action": "create", "entity_id": entity_id}
                )

    def track(self, entity_id: str, rewrite: Callable[[], object]) -> Callable[[], None]:
        """Call `rewrite` when people change the entry (so the integration writes its state)."""
        self._trackers.setdefault(entity_id, []).append(rewrite)

        def untrack() -> None:
            callbacks = self._trackers.get(entity_id, [])
            if rewrite in callbacks:
                callbacks.remove(rewrite)

        return untrack

    def apply(self, entity_id: str, attributes: dict[str, Any]) -> dict[str, Any]:
        """The state attributes with what people chose (name, icon, device class) applied."""
        entry = self._entries.get(entity_id)
        if entry is None:
            return attributes
        if entry["name"] is not None:
            attributes["friendly_name"] = entry["name"]
        if entry["icon"] is not None:
            attributes["icon"] = entry["icon"]
        if entry["device_class"] is not None:
            attributes["device_class"] = entry["device_class"]
        return attributes

    # The API.

    def get(self, entity_id: str) -> dict[str, Any]:
        """The entry; NotFound if the entity is not registered."""
        entry = self._entries.get(entity_id)
        if entry is None:
            raise NotFound(f"Entity {entity_id} is not in the entity registry.")
        return entry

    def partial(self, entity_id: str) -> dict[str, Any]:
        """The entry as config/entity_registry/list shows it."""
        entry = self.get(entity_id)
        return {key: entry[key] for key in _PARTIAL} | {"entity_id": entity_id}

    def extended(self, entity_id: str, capabilities: Any = None) -> dict[str, Any]:
        """The entry as config/entity_registry/get shows it."""
        entry = self.get(entity_id)
        return self.partial(entity_id) | {
            "aliases": list(entry["aliases"]),
            "capabilities": capabilities,
            "device_class": entry["device_class"],
            "original_device_class": entry["original_device_class"],
            "original_icon": entry["original_icon"],
        }

    def as_list(self) -> list[dict[str, Any]]:
        """Every entry, as config/entity_registry/list shows them."""
        return [self.partial(entity_id) for entity_id in self._entries]

    def display_list(self) -> dict[str, Any]:
        """The compact form of config/entity_registry/list_for_display (only non-empty keys)."""
        shown = []
        for entity_id, entry in self._entries.items():
            if entry["disabled_by"] is not None:
                continue
            item: dict[str, Any] = {"ei": entity_id, "pl": entry["platform"]}
            optional = {
                "ai": entry["area_id"],
                "di": entry["device_id"],
                "en": entry["name"],
                "ic": entry["icon"],
                "tk": entry["translation_key"],
                "lb": entry["labels"] or None,
                "hb": True if entry["hidden_by"] is not None else None,
                "hn": True if entry["has_entity_name"] else None,
            }
            item.update({key: value for key, value in optional.items() if value is not None})
            if entry["entity_category"] in ENTITY_CATEGORIES:
                item["ec"] = ENTITY_CATEGORIES.index(entry["entity_category"])
            if "lb" not in item:
                item["lb"] = []
            shown.append(item)
        return {"entity_categories": dict(enumerate(ENTITY_CATEGORIES)), "entities": shown}

    async def update(self, entity_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Change what people may change; fires entity_registry_updated with the old values."""
        async with self._store.lock:
            entry = self.get(entity_id)
            unknown = set(changes) - EDITABLE
            if unknown:
                raise BadRequest(f"Cannot change {', '.join(sorted(unknown))} of an entity.")
            area_id = changes.get("area_id")
            if area_id is not None and not self._exists("area", area_id):
                raise NotFound("No area with this id.")
            for label_id in changes.get("labels") or ():
                if not self._exists("label", label_id):
                    raise NotFound(f"No label with the id {label_id!r}.")
            if changes.get("hidden_by") not in (None, "user"):
                raise BadRequest("hidden_by: only 'user' or null can be set.")
            old = {key: entry[key] for key, value in changes.items() if entry[key] != value}
            if not old:
                return entry
            updated = {**entry, **{key: changes[key] for key in old}, "modified_at": time.time()}
            await self._store.write([(REGISTRY, entity_id, _stored(updated))])
            self._entries[entity_id] = updated
            self._bus.fire(
                EVENT_ENTITY_REGISTRY_UPDATED,
                {"action": "update", "entity_id": entity_id, "changes": old},
            )
            for rewrite in list(self._trackers.get(entity_id, ())):
                rewrite()
            return updated

    async def remove(self, entity_id: str, *, provided: bool) -> None:
        """Forget an entry; refused while an integration still provides the entity."""
        async with self._store.lock:
            self.get(entity_id)
            if provided:
                raise BadRequest(
                    "This entity is provided by an integration; remove it there, not here."
                )
            await self._store.write([(REGISTRY, entity_id, None)])
            del self._entries[entity_id]
            self._trackers.pop(entity_id, None)
            self._bus.fire(
                EVENT_ENTITY_REGISTRY_UPDATED, {"action": "remove", "entity_id": entity_id}
            )

    def clear_reference(self, field: str, value: str) -> list[Change]:
        """The changes that remove a deleted area ("area_id") or label ("labels") from every
        entry; applied in memory by `take` once written."""
        changes: list[Change] = []
        for entity_id, entry in self._entries.items():
            if field == "labels" and value in entry["labels"]:
                updated = {**entry, "labels": [item for item in entry["labels"] if item != value]}
            elif field != "labels" and entry.get(field) == value:
                updated = {**entry, field: None}
            else:
                continue
            changes.append((REGISTRY, entity_id, _stored(updated)))
        return changes

    def take(self, changes: Iterable[Change]) -> None:
        """Apply written changes of the entity registry to the entries in memory."""
        for registry, entity_id, data in changes:
            if registry != REGISTRY:
                continue
            if data is None:
                self._entries.pop(entity_id, None)
            else:
                self._entries[entity_id] = _complete(entity_id, data)


def _complete(entity_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    entry = {key: data.get(key, default) for key, default in _DEFAULTS.items()}
    entry["entity_id"] = entity_id
    for key in ("labels", "aliases"):
        entry[key] = list(entry[key] or [])
    return entry


def _stored(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in entry.items() if key != "entity_id"}
