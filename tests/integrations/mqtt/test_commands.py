"""What each component publishes for each service, checked on a real Mosquitto."""

from __future__ import annotations

import contextlib
from typing import Any

import orjson

from hearth.config.mqtt_fields import MqttSection
from hearth.core.hub import Hub
from hearth.integrations import mqtt
from tests.integrations.mqtt import payloads as p
from tests.integrations.mqtt.support import Inbox, connected, device, publish_json, wait_for
from tests.mqtt_broker import TASMOTA_PASSWORD, TASMOTA_USER, Z2M_PASSWORD, Z2M_USER, Broker

BULB = {
    "name": "Desk bulb",
    "~": p.TASMOTA_BASE,
    "uniq_id": "1A2B3C_RGB",
    "cmd_t": "~cmnd/POWER",
    "bri_cmd_t": "~cmnd/Dimmer",
    "bri_scl": 100,
    "rgb_cmd_t": "~cmnd/Color2",
    "clr_temp_cmd_t": "~cmnd/CT",
    "opt": True,
}


async def test_commands_reach_the_device_as_each_schema_says(
    broker: Broker, mqtt_conf: MqttSection, mqtt_hub: Hub
) -> None:
    integration = await mqtt.async_setup(mqtt_hub, mqtt_conf)
    await connected(integration)
    z2m_inbox, tasmota_inbox = Inbox(), Inbox()
    call = mqtt_hub.services.call

    async def command(
        inbox: Inbox, topic: str, domain: str, service: str, data: dict[str, Any]
    ) -> bytes:
        count = len(inbox.on(topic))
        await call(domain, service, data)
        await wait_for(lambda: len(inbox.on(topic)) > count, what=f"{domain}.{service}")
        return inbox.on(topic)[-1]

    async with contextlib.AsyncExitStack() as stack:
        z2m = await stack.enter_async_context(device(broker, Z2M_USER, Z2M_PASSWORD))
        tasmota = await stack.enter_async_context(device(broker, TASMOTA_USER, TASMOTA_PASSWORD))
        await z2m.subscribe("zigbee2mqtt/#", qos=1)
        await tasmota.subscribe(f"{p.TASMOTA_BASE}cmnd/#", qos=1)
        await stack.enter_async_context(z2m_inbox.collecting(z2m))
        await stack.enter_async_context(tasmota_inbox.collecting(tasmota))
        await publish_json(z2m, p.Z2M_BRIDGE_STATE, {"state": "online"})
        for topic, payload in (
            (p.LAMP_DISCOVERY, p.z2m_lamp()),
            (f"{p.PREFIX}/cover/0x00158d000888bbbb/cover/config", p.z2m_cover()),
            (f"{p.PREFIX}/button/{p.LAMP_IEEE}/identify/config", p.z2m_identify()),
        ):
            await publish_json(z2m, topic, payload)
        await publish_json(tasmota, f"{p.PREFIX}/light/{p.TASMOTA_ID}/bulb/config", BULB)
        for entity_id in ("light.living_room_lamp", "cover.office_blind",
                          "button.living_room_lamp_identify", "light.desk_bulb"):  # fmt: skip
            await wait_for(
                lambda e=entity_id: (s := mqtt_hub.states.get(e)) and s.state != "unavailable",
                what=entity_id,
            )  # type: ignore[misc]

        lamp = f"{p.LAMP_TOPIC}/set"
        red = {"entity_id": "light.living_room_lamp", "rgb_color": [255, 0, 0]}
        sent = await command(z2m_inbox, lamp, "light", "turn_on", red)
        assert orjson.loads(sent) == {"state": "ON", "color": {"x": 0.6401, "y": 0.33}}
        sent = await command(z2m_inbox, lamp, "light", "turn_on",
                             {"entity_id": "light.living_room_lamp", "color_temp_kelvin": 2500,
                              "transition": 2})  # fmt: skip
        assert orjson.loads(sent) == {"state": "ON", "color_temp": 400, "transition": 2}
        sent = await command(z2m_inbox, f"{p.BLIND_TOPIC}/set", "cover", "set_cover_position",
                             {"entity_id": "cover.office_blind", "position": 40})  # fmt: skip
        assert orjson.loads(sent) == {"position": 40}
        sent = await command(z2m_inbox, f"{p.BLIND_TOPIC}/set", "cover", "close_cover",
                             {"entity_id": "cover.office_blind"})  # fmt: skip
        assert sent == b"CLOSE"
        sent = await command(z2m_inbox, f"{lamp}/identify", "button", "press",
                             {"entity_id": "button.living_room_lamp_identify"})  # fmt: skip
        assert sent == b"identify"
        button = mqtt_hub.states.get("button.living_room_lamp_identify")
        assert button is not None
        assert button.state.startswith("20")  # the time of the press

        bulb = {"entity_id": "light.desk_bulb"}
        base = p.TASMOTA_BASE
        assert await command(tasmota_inbox, f"{base}cmnd/Color2", "light", "turn_on",
                             {**bulb, "rgb_color": [10, 20, 30]}) == b"10,20,30"  # fmt: skip
        assert await command(tasmota_inbox, f"{base}cmnd/CT", "light", "turn_on",
                             {**bulb, "color_temp_kelvin": 4000}) == b"250"  # fmt: skip
        assert await command(tasmota_inbox, f"{base}cmnd/Dimmer", "light", "turn_on",
                             {**bulb, "brightness": 255}) == b"100"  # fmt: skip
        assert tasmota_inbox.on(f"{base}cmnd/POWER")[-1] == b"ON"  # on_command_type: last
        state = mqtt_hub.states.get("light.desk_bulb")
        assert state is not None
        assert (state.state, state.attributes["brightness"]) == ("on", 255)  # optimistic
        assert list(state.attributes["supported_color_modes"]) == ["rgb", "color_temp"]
        await call("light", "turn_off", bulb)
        await wait_for(lambda: mqtt_hub.states.get("light.desk_bulb").state == "off")  # type: ignore[union-attr]
