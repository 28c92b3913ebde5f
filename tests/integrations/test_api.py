"""The integration API: platforms pick safe ids, components share a domain's services."""

from __future__ import annotations

import pytest

from hearth.core.context import Context
from hearth.core.hub import Hub
from hearth.exceptions import ServiceValidationError, Unavailable
from hearth.integrations.domains.lock import LockEntity
from hearth.integrations.domains.switch import SwitchEntity
from hearth.integrations.entity import DeviceInfo
from hearth.integrations.platform import EntityPlatform


class Switch(SwitchEntity):
    def __init__(self, unique_id: str | None, name: str, *, online: bool = True) -> None:
        super().__init__(unique_id=unique_id, name=name)
        self.online = online
        self.is_on = False

    @property
    def available(self) -> bool:
        return self.online

    async def turn_on(self, context: Context) -> None:
        self.is_on = True
        self.write(context)

    async def turn_off(self, context: Context) -> None:
        self.is_on = False
        self.write(context)


class Lock(LockEntity):
    async def unlock(self, context: Context) -> None:
        self.lock_state = "unlocked"
        self.write(context)


async def test_two_integrations_share_a_domain() -> None:
    hub = Hub()
    first = Switch("a", "Hall")
    second = Switch("a", "Hall")  # the same unique id, another integration: another entity
    await EntityPlatform(hub, "one").add([first])
    await EntityPlatform(hub, "two").add([second])
    assert (first.entity_id, second.entity_id) == ("switch.hall", "switch.hall_2")
    await hub.services.call("switch", "turn_on", {"entity_id": "all"})
    assert (first.is_on, second.is_on) == (True, True)
    assert {"switch", "homeassistant"} <= set(hub.services.domains())


async def test_ids_survive_a_restart_through_the_registry() -> None:
    hub = Hub()
    platform = EntityPlatform(hub, "one")
    await platform.add([Switch("u", "Porch")])
    await hub.registries.entities.update("switch.porch", {"name": "Front porch"})
    await platform.remove(platform.entities["switch.porch"])
    again = Switch("u", "Renamed by the device")
    await platform.add([again])
    assert again.entity_id == "switch.porch"
    state = hub.states.get("switch.porch")
    assert state is not None
    assert state.attributes["friendly_name"] == "Front porch"  # what people chose wins


async def test_unavailable_targets_are_refused_before_anything_runs() -> None:
    hub = Hub()
    online, offline = Switch("1", "Online"), Switch("2", "Offline", online=False)
    await EntityPlatform(hub, "one").add([online, offline])
    assert hub.states.get("switch.offline").state == "unavailable"  # type: ignore[union-attr]
    with pytest.raises(Unavailable, match=r"switch\.offline: unavailable"):
        await hub.services.call(
            "switch", "turn_on", {"entity_id": ["switch.online", "switch.offline"]}
        )
    assert online.is_on is False
    await hub.services.call("switch", "turn_on", {"entity_id": "all"})  # all: the available ones
    assert (online.is_on, offline.is_on) == (True, False)


async def test_locks_cannot_be_opened_unless_they_can() -> None:
    hub = Hub()
    lock = Lock(unique_id="l", name="Door")
    await EntityPlatform(hub, "one").add([lock])
    with pytest.raises(ServiceValidationError, match="cannot be opened"):
        await hub.services.call("lock", "open", {"entity_id": "lock.door"})
    await hub.services.call("lock", "unlock", {"entity_id": "lock.door"})
    assert hub.states.get("lock.door").state == "unlocked"  # type: ignore[union-attr]


async def test_devices_are_found_again_and_forgotten_with_their_last_entity() -> None:
    hub = Hub()
    platform = EntityPlatform(hub, "one")
    info = DeviceInfo(identifiers=(("one", "dev-1"),), name="Plug", manufacturer="ACME")
    first, second = Switch("1", "Plug relay"), Switch("2", "Plug led")
    first.device_info = second.device_info = info
    await platform.add([first, second])
    (device,) = hub.registries.devices.as_list()
    assert (device["name"], device["manufacturer"]) == ("Plug", "ACME")
    assert first.device_id == second.device_id == device["id"]
    assert hub.registries.entities.get("switch.plug_relay")["device_id"] == device["id"]
    await platform.remove(first, forget=True)
    assert len(hub.registries.devices) == 1
    await platform.remove(second, forget=True)
    assert len(hub.registries.devices) == 0
    assert "switch.plug_led" not in hub.registries.entities
