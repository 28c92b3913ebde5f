"""The device registry: physical devices that integrations report (none of Hearth's yet).

People may name a device, put it in an area and label it; integrations add devices.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from hearth.core.events import EventBus
from hearth.core.registries.store import Change, ItemStore
from hearth.exceptions import BadRequest, NotFound

REGISTRY: Final = "device"
EVENT_DEVICE_REGISTRY_UPDATED: Final = "device_registry_updated"
EDITABLE: Final = frozenset({"name_by_user", "area_id", "labels"})

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

    def as_list(self) -> list[dict[str, Any]]:
        """Every device, as config/device_registry/list shows them."""
        return [dict(device) for device in self._devices.values()]

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
