"""The hub against a real Mosquitto: discovery, state, commands, availability (in process)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import orjson

from hearth.config.mqtt_fields import MqttSection
from hearth.core.context import Context
from hearth.core.events import EVENT_STATE_CHANGED, Event
from hearth.core.hub import Hub
from hearth.integrations import mqtt
from hearth.storage import Database
from hearth.storage.audit import AuditLog
from tests.integrations.mqtt import payloads as p
from tests.integrations.mqtt.support import Inbox, connected, device, publish_json, wait_for
from tests.mqtt_broker import (
    TASMOTA_PASSWORD,
    TASMOTA_USER,
    Z2M_PASSWORD,
    Z2M_USER,
    Broker,
)


async def test_zigbee2mqtt_lamp_from_discovery_to_command(
    broker: Broker, mqtt_conf: MqttSection, mqtt_hub: Hub
) -> None:
    integration = await mqtt.async_setup(mqtt_hub, mqtt_conf)
    await connected(integration)
    inbox = Inbox()
    async with contextlib.AsyncExitStack() as stack:
        z2m = await stack.enter_async_context(device(broker, Z2M_USER, Z2M_PASSWORD))
        await z2m.subscribe(f"{p.LAMP_TOPIC}/set")
        await stack.enter_async_context(inbox.collecting(z2m))
        await publish_json(z2m, p.Z2M_BRIDGE_STATE, {"state": "online"})
        await publish_json(z2m, p.LAMP_DISCOVERY, p.z2m_lamp())
        state = await wait_for(lambda: mqtt_hub.states.get("light.living_room_lamp"), what="lamp")
        await wait_for(
            lambda: mqtt_hub.states.get("light.living_room_lamp").state == "unknown", timeout=3
        )
        assert state.attributes["friendly_name"] == p.LAMP_NAME
        assert list(state.attributes["supported_color_modes"]) == ["rgb", "color_temp"]
        changes: list[Event] = []
        mqtt_hub.bus.listen(EVENT_STATE_CHANGED, changes.append)
        await mqtt_hub.services.call(
            "light", "turn_on", {"entity_id": "light.living_room_lamp", "brightness": 128},
            context=Context(user_id="u1"),
        )  # fmt: skip
        sent = await wait_for(lambda: inbox.on(f"{p.LAMP_TOPIC}/set"), what="command")
        assert orjson.loads(sent[0]) == {"state": "ON", "brightness": 127}
        await publish_json(
            z2m, p.LAMP_TOPIC, {"state": "ON", "brightness": 127, "color_mode": "color_temp",
                                "color_temp": 370, "linkquality": 120},
        )  # fmt: skip
        lamp = await wait_for(
            lambda: (s := mqtt_hub.states.get("light.living_room_lamp")) and s.state == "on" and s
        )
        assert lamp.attributes["brightness"] == 128
        assert lamp.attributes["color_temp_kelvin"] == 2703
        assert any(event.data["new_state"].state == "on" for event in changes)
    devices = mqtt_hub.registries.devices.as_list()
    assert [device["name"] for device in devices] == [p.LAMP_NAME]
    entry = mqtt_hub.registries.entities.get("light.living_room_lamp")
    assert entry["platform"] == "mqtt"
    assert entry["device_id"] == devices[0]["id"]


async def test_tasmota_dimmer_with_abbreviations(
    broker: Broker, mqtt_conf: MqttSection, mqtt_hub: Hub
) -> None:
    integration = await mqtt.async_setup(mqtt_hub, mqtt_conf)
    await connected(integration)
    inbox = Inbox()
    async with contextlib.AsyncExitStack() as stack:
        tasmota = await stack.enter_async_context(device(broker, TASMOTA_USER, TASMOTA_PASSWORD))
        await tasmota.subscribe(f"{p.TASMOTA_BASE}cmnd/#")
        await stack.enter_async_context(inbox.collecting(tasmota))
        await tasmota.publish(f"{p.TASMOTA_BASE}tele/LWT", b"Online", qos=1, retain=True)
        await publish_json(tasmota, p.TASMOTA_DIMMER_DISCOVERY, p.tasmota_dimmer())
        await publish_json(
            tasmota, f"{p.PREFIX}/sensor/{p.TASMOTA_ID}/power/config", p.tasmota_power()
        )
        await publish_json(tasmota, f"{p.TASMOTA_BASE}tele/STATE", {"POWER": "ON", "Dimmer": 40})
        await publish_json(tasmota, f"{p.TASMOTA_BASE}tele/SENSOR", {"ENERGY": {"Power": "12.34"}})
        dimmer = await wait_for(
            lambda: (s := mqtt_hub.states.get("light.kitchen_dimmer")) and s.state == "on" and s
        )
        assert dimmer.attributes["brightness"] == 102
        power = await wait_for(
            lambda: (
                (s := mqtt_hub.states.get("sensor.kitchen_dimmer_power"))
                and s.state != "unknown"
                and s
            )
        )
        assert power.state == "12.3"
        assert power.attributes["unit_of_measurement"] == "W"
        await mqtt_hub.services.call(
            "light", "turn_on", {"entity_id": "light.kitchen_dimmer", "brightness_pct": 50}
        )
        await wait_for(lambda: inbox.on(f"{p.TASMOTA_BASE}cmnd/Dimmer"))
        assert inbox.on(f"{p.TASMOTA_BASE}cmnd/Dimmer") == [b"50"]
        assert inbox.on(f"{p.TASMOTA_BASE}cmnd/POWER") == []  # on_command_type: brightness
        await tasmota.publish(f"{p.TASMOTA_BASE}tele/LWT", b"Offline", qos=1, retain=True)
        await wait_for(lambda: mqtt_hub.states.get("light.kitchen_dimmer").state == "unavailable")


async def test_lock_commands_are_audited_with_the_user(
    broker: Broker, mqtt_conf: MqttSection, mqtt_hub: Hub, tmp_path: Path
) -> None:
    db = Database.open(tmp_path / "hearth.db")
    try:
        audit = AuditLog(db)
        mqtt_hub.entity_components.audit = audit
        mqtt_hub.entity_components.username_of = {"user-1": "alice"}.get
        integration = await mqtt.async_setup(mqtt_hub, mqtt_conf)
        await connected(integration)
        inbox = Inbox()
        async with contextlib.AsyncExitStack() as stack:
            z2m = await stack.enter_async_context(device(broker, Z2M_USER, Z2M_PASSWORD))
            await z2m.subscribe(f"{p.LOCK_TOPIC}/set", qos=1)
            await stack.enter_async_context(inbox.collecting(z2m))
            await publish_json(z2m, p.Z2M_BRIDGE_STATE, {"state": "online"})
            await publish_json(z2m, f"{p.PREFIX}/lock/{p.LOCK_IEEE}/lock/config", p.z2m_lock())
            await publish_json(z2m, p.LOCK_TOPIC, {"state": "LOCK"})
            await wait_for(
                lambda: (s := mqtt_hub.states.get("lock.front_door")) and s.state == "locked"
            )
            await mqtt_hub.services.call(
                "lock",
                "unlock",
                {"entity_id": "lock.front_door"},
                context=Context(user_id="user-1"),
            )
            await wait_for(lambda: inbox.on(f"{p.LOCK_TOPIC}/set") == [b"UNLOCK"])
            # Not optimistic: the lock is unlocked when the lock says so.
            assert mqtt_hub.states.get("lock.front_door").state == "locked"  # type: ignore[union-attr]
            await publish_json(z2m, p.LOCK_TOPIC, {"state": "UNLOCK"})
            await wait_for(lambda: mqtt_hub.states.get("lock.front_door").state == "unlocked")  # type: ignore[union-attr]
        (entry,) = await audit.query(event="lock_command")
        assert (entry.user_id, entry.username) == ("user-1", "alice")
        assert entry.details == {
            "entity_id": "lock.front_door",
            "service": "lock.unlock",
            "integration": "mqtt",
            "result": "sent",
        }
    finally:
        await db.aclose()
