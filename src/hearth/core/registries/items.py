"""Registries of named things people create: areas, floors and labels.

Each item is a JSON object with an id, a name (unique, ignoring case), its kind's fields, and
`created_at` / `modified_at` as Unix timestamps, the shape Home Assistant's frontend reads.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from hearth.core.events import EventBus
from hearth.core.registries.store import Change, ItemStore
from hearth.exceptions import Conflict, NotFound, Unavailable

_NOT_SLUG: Final = re.compile(r"[^a-z0-9]+")


def slugify(name: str) -> str:
    """A lower-case id from a name: runs of other characters become one underscore."""
    return _NOT_SLUG.sub("_", name.lower()).strip("_")


@dataclass(frozen=True, slots=True)
class Kind:
    """What distinguishes one registry of named items from another."""

    name: str  # "area": also the storage key
    id_field: str  # "area_id"
    event_type: str  # "area_registry_updated"
    defaults: Mapping[str, Any]  # every field but the id, name and timestamps, with its default
    max_items: int


class ItemRegistry:
    """Named items of one kind, kept in memory and written through to the store."""

    def __init__(self, kind: Kind, bus: EventBus, store: ItemStore) -> None:
        self.kind = kind
        self._bus = bus
        self._store = store
        self._items: dict[str, dict[str, Any]] = {}
        for item_id, data in store.load(kind.name).items():
            self._items[item_id] = self._complete(item_id, data)
        # Given the id of an item being removed, each returns the changes that clear references
        # to it elsewhere (without applying them); `take` then applies written changes in memory.
        self.on_remove: list[Callable[[str], Iterable[Change]]] = []
        self.take: Callable[[Iterable[Change]], None] = self.take_own

    def _complete(self, item_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """The stored data with every field present (older rows may lack newer fields)."""
        now = time.time()
        item: dict[str, Any] = {self.kind.id_field: item_id, "name": str(data.get("name", item_id))}
        for field, default in self.kind.defaults.items():
            value = data.get(field, default)
            item[field] = list(value) if isinstance(value, list | tuple) else value
        item["created_at"] = float(data.get("created_at", now))
        item["modified_at"] = float(data.get("modified_at", now))
        return item

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._items

    def as_list(self) -> list[dict[str, Any]]:
        """Every item, in creation order."""
        return [dict(item) for item in self._items.values()]

    def get(self, item_id: str) -> dict[str, Any]:
        """One item; NotFound if there is none with this id."""
        item = self._items.get(item_id)
        if item is None:
            raise NotFound(f"No {self.kind.name} with this id.")
        return dict(item)

    def _check_name(self, name: str, own_id: str | None = None) -> None:
        folded = name.casefold()
        for item_id, item in self._items.items():
            if item_id != own_id and str(item["name"]).casefold() == folded:
                raise Conflict(f"The name {name!r} is already used by another {self.kind.name}.")

    def _new_id(self, name: str) -> str:
        base = slugify(name) or secrets.token_hex(8)
        candidate, number = base, 2
        while candidate in self._items:
            candidate, number = f"{base}_{number}", number + 1
        return candidate

    async def create(self, name: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Add an item; Conflict if the name is taken, Unavailable beyond the limit."""
        async with self._store.lock:
            if len(self._items) >= self.kind.max_items:
                raise Unavailable(f"At most {self.kind.max_items} {self.kind.name}s can be stored.")
            self._check_name(name)
            item_id = self._new_id(name)
            now = time.time()
            item = self._complete(
                item_id,
                {**self._known(fields), "name": name, "created_at": now, "modified_at": now},
            )
            await self._store.write([(self.kind.name, item_id, self._stored(item))])
            self._items[item_id] = item
            self._announce("create", item_id)
            return dict(item)

    async def update(self, item_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Change some fields of an item; NotFound, or Conflict for a name that is taken."""
        async with self._store.lock:
            current = self.get(item_id)
            known = self._known(changes)
            if "name" in changes:
                self._check_name(str(changes["name"]), item_id)
                known["name"] = str(changes["name"])
            if all(current.get(field) == value for field, value in known.items()):
                return current
            item = {**current, **known, "modified_at": time.time()}
            await self._store.write([(self.kind.name, item_id, self._stored(item))])
            self._items[item_id] = item
            self._announce("update", item_id)
            return dict(item)

    async def delete(self, item_id: str) -> None:
        """Remove an item, and every reference to it that `on_remove` hooks clear."""
        async with self._store.lock:
            self.get(item_id)
            changes: list[Change] = [(self.kind.name, item_id, None)]
            for hook in self.on_remove:
                changes.extend(hook(item_id))
            await self._store.write(changes)
            self.take(changes)
            self._announce("remove", item_id)

    def take_own(self, changes: Iterable[Change]) -> None:
        """Apply written changes of this registry to the items in memory."""
        for registry, item_id, data in changes:
            if registry != self.kind.name:
                continue
            if data is None:
                self._items.pop(item_id, None)
            else:
                self._items[item_id] = self._complete(item_id, data)

    def clear_reference(self, field: str, value: str) -> list[Change]:
        """The changes that remove a deleted floor or label from every item (not yet applied)."""
        changes: list[Change] = []
        for item_id, item in self._items.items():
            if field not in item:
                continue
            if isinstance(item[field], list):
                if value not in item[field]:
                    continue
                updated = {**item, field: [each for each in item[field] if each != value]}
            elif item[field] == value:
                updated = {**item, field: None}
            else:
                continue
            changes.append((self.kind.name, item_id, self._stored(updated)))
        return changes

    def _known(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        return {field: value for field, value in fields.items() if field in self.kind.defaults}

    def _stored(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in item.items() if key != self.kind.id_field}

    def _announce(self, action: str, item_id: str) -> None:
        self._bus.fire(self.kind.event_type, {"action": action, self.kind.id_field: item_id})


AREA: Final = Kind(
    "area",
    "area_id",
    "area_registry_updated",
    {
        "icon": None,
        "floor_id": None,
        "labels": [],
        "aliases": [],
        "picture": None,
        "humidity_entity_id": None,
        "temperature_entity_id": None,
    },
    max_items=1000,
)
FLOOR: Final = Kind(
    "floor",
    "floor_id",
    "floor_registry_updated",
    {"icon": None, "level": None, "aliases": []},
    max_items=100,
)
LABEL: Final = Kind(
    "label",
    "label_id",
    "label_registry_updated",
    {"icon": None, "color": None, "description": None},
    max_items=1000,
)
