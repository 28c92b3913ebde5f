"""The device registry: physical devices that integrations report (MQTT's, for one).

People may name a device, put it in an area and label it; integrations add devices, found again
by their identifiers (`[integration, id]` pairs) and connections (`[kind, address]` pairs).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from hearth.core.events import EventBus
from hearth.core.registries.store import Change, ItemStore
from hearth.exceptions import BadRequest, NotFound

Pair = tuple[str, str] | list[str]

REGISTRY: Final = "device"
EVENT_DEVICE_REGISTRY_UPDATED: Final = "device_registry_updated"
EDITABLE: Final = frozenset({"name_by_user", "area_id", "labels"})
# What an integration says about a device (DeviceRegistry.ensure); the rest is people's or ours.
DESCRIBED: Final = frozenset(
    {
        "configuration_url",
        "entry_type",
        "hw_version",
        "manufacturer",
        "model",
        "model_id",
        "name",
        "serial_number",
        "sw_version",
        "via_device_id",
    }
)

_DEFAULTS: Final[Mapping[str, Any]] = {
    "area_id": None,
    "config_entries": [],
    "configuration_url": None,
    "connections": [],
    "created_at": 0.0,
    "disabled_by": None,
    "entry_type": None,
    "hw_version": None,
    "identifiers": [],
    "labels": [],
    "manufacturer": None,
    "model": None,
    "model_id": None,
    "modified_at": 0.0,
    "name": None,
    "name_by_user": None,
    "primary_config_entry": None,
    "serial_number": None,
    "sw_version": None,
    "via_device_id": None,
}


class DeviceRegistry:
    """Devices by id, written through to the store."""

    def __init__(self, bus: EventBus, store: ItemStore, exists: Callable[[str, str], bool]) -> None:
        self._bus = bus
        self._store = store
        self._exists = exists
        self._devices = {
            device_id: _complete(device_id, data)
            for device_id, data in store.load(REGISTRY).items()
        }

    def __len__(self) -> int:
        return len(self._devices)

    def __contains__(self, device_id: object) -> bool:
        return device_id in self._devices

    def as_list(self) -> list[dict[str, Any]]:
        """Every device, as config/device_registry/list shows them."""
        return [dict(device) for device in self._devices.values()]

    def get(self, device_id: str) -> dict[str, Any] | None:
        """One device, or None."""
        device = self._devices.get(device_id)
        return None if device is None else dict(device)

    def find(self, identifiers: Iterable[Pair], connections: Iterable[Pair] = ()) -> str | None:
        """The id of the device with any of these identifiers or connections, or None."""
        wanted_ids = {tuple(pair) for pair in identifiers}
        wanted_connections = {tuple(pair) for pair in connections}
        for device_id, device in self._devices.items():
            if wanted_ids & {tuple(pair) for pair in device["identifiers"]}:
                return device_id
            if wanted_connections & {tuple(pair) for pair in device["connections"]}:
                return device_id
        return None

    async def ensure(
        self,
        identifiers: Iterable[Pair],
        connections: Iterable[Pair],
        described: Mapping[str, Any],
    ) -> str:
        """The device with these identifiers, created or refreshed with what the integration says.

        `described` holds keys of DESCRIBED only; identifiers and connections are merged.
        """
        ids = [list(pair) for pair in identifiers]
        links = [list(pair) for pair in connections]
        fields = {key: value for key, value in described.items() if key in DESCRIBED}
        async with self._store.lock:
            device_id = self.find(ids, links)
            now = time.time()
            if device_id is None:
                device_id = uuid.uuid4().hex
                device = _complete(
                    device_id,
                    {**fields, "identifiers": ids, "connections": links, "created_at": now,
                     "modified_at": now},
                )  # fmt: skip
                action = "create"
            else:
                old = self._devices[device_id]
                merged_ids = old["identifiers"] + [
                    pair for pair in ids if pair not in old["identifiers"]
                ]
                merged_links = old["connections"] + [
                    pair for pair in links if pair not in old["connections"]
                ]
                changes = {key: value for key, value in fields.items() if old[key] != value}
                if merged_ids != old["identifiers"]:
                    changes["identifiers"] = merged_ids
                if merged_links != old["connections"]:
                    changes["connections"] = merged_links
                if not changes:
                    return device_id
                device = {**old, **changes, "modified_at": now}
                action = "update"
            await self._store.write([(REGISTRY, device_id, _stored(device))])
            self._devices[device_id] = device
            self._bus.fire(
                EVENT_DEVICE_REGISTRY_UPDATED, {"action": action, "device_id": device_id}
            )
            return device_id

    async def forget(self, device_id: str) -> None:
        """Remove a device its integration no longer provides."""
        async with self._store.lock:
            if device_id not in self._devices:
                return
            await self._store.write([(REGISTRY, device_id, None)])
            del self._devices[device_id]
            self._bus.fire(
                EVENT_DEVICE_REGISTRY_UPDATED, {"action": "remove", "device_id": device_id}
            )

    async def update(self, device_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Name a device, move it to an area or label it."""
        async with self._store.lock:
            device = self._devices.get(device_id)
            if device is None:
                raise NotFound("No device with this id.")
            unknown = set(changes) - EDITABLE
            if unknown:
                raise BadRequest(f"Cannot change {', '.join(sorted(unknown))} of a device.")
            area_id = changes.get("area_id")
            if area_id is not None and not self._exists("area", area_id):
                raise NotFound("No area with this id.")
            old = {key: device[key] for key, value in changes.items() if device[key] != value}
            if not old:
                return dict(device)
            updated = {**device, **changes, "modified_at": time.time()}
            await self._store.write([(REGISTRY, device_id, _stored(updated))])
            self._devices[device_id] = updated
            self._bus.fire(
                EVENT_DEVICE_REGISTRY_UPDATED,
                {"action": "update", "device_id": device_id, "changes": old},
            )
            return dict(updated)

    def clear_reference(self, field: str, value: str) -> list[Change]:
        """The changes that remove a deleted area or label from every device (not applied)."""
        changes: list[Change] = []
        for device_id, device in self._devices.items():
            if field == "labels" and value in device["labels"]:
                updated = {**device, "labels": [each for each in device["labels"] if each != value]}
            elif field != "labels" and device.get(field) == value:
                updated = {**device, field: None}
            else:
                continue
            changes.append((REGISTRY, device_id, _stored(updated)))
        return changes

    def take(self, changes: Iterable[Change]) -> None:
        """Apply written changes of the device registry in memory."""
        for registry, device_id, data in changes:
            if registry != REGISTRY:
                continue
            if data is None:
                self._devices.pop(device_id, None)
            else:
                self._devices[device_id] = _complete(device_id, data)


def _complete(device_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    device = {key: data.get(key, default) for key, default in _DEFAULTS.items()}
    device["id"] = device_id
    return device


def _stored(device: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in device.items() if key != "id"}
