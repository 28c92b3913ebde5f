"""Discovery payloads in the shapes Zigbee2MQTT and Tasmota send (written for these tests).

Zigbee2MQTT: long key names, `schema: json` lights, `name: null` for a device's main entity,
availability through the bridge's state, booleans as payloads. Tasmota: abbreviated keys, a
`~` base topic, `{{value_json.POWER}}` templates, Online/Offline availability.
"""

from __future__ import annotations

from typing import Any, Final

PREFIX: Final = "homeassistant"
Z2M_BRIDGE_STATE: Final = "zigbee2mqtt/bridge/state"
Z2M_AVAILABILITY: Final = [{"topic": Z2M_BRIDGE_STATE, "value_template": "{{ value_json.state }}"}]
Z2M_ORIGIN: Final = {"name": "Zigbee2MQTT", "sw": "1.40.2", "url": "https://www.zigbee2mqtt.io"}

LAMP_IEEE: Final = "0x00158d00045a1b2c"
LAMP_NAME: Final = "Living room lamp"
LAMP_TOPIC: Final = f"zigbee2mqtt/{LAMP_NAME}"
LAMP_DISCOVERY: Final = f"{PREFIX}/light/{LAMP_IEEE}/light/config"


def z2m_device(ieee: str, name: str, model: str) -> dict[str, Any]:
    return {
        "identifiers": [f"zigbee2mqtt_{ieee}"],
        "manufacturer": "IKEA of Sweden",
        "model": model,
        "name": name,
        "sw_version": "2.3.087",
        "via_device": "zigbee2mqtt_bridge_0x00124b0022aa1b2c",
    }


def z2m_lamp() -> dict[str, Any]:
    """A colour-temperature and xy bulb, JSON schema."""
    return {
        "availability": Z2M_AVAILABILITY,
        "brightness": True,
        "brightness_scale": 254,
        "color_mode": True,
        "command_topic": f"{LAMP_TOPIC}/set",
        "device": z2m_device(LAMP_IEEE, LAMP_NAME, "TRADFRI bulb E27 CWS 806lm"),
        "json_attributes_topic": LAMP_TOPIC,
        "max_mireds": 454,
        "min_mireds": 250,
        "name": None,
        "object_id": "living_room_lamp",
        "origin": Z2M_ORIGIN,
        "schema": "json",
        "state_topic": LAMP_TOPIC,
        "supported_color_modes": ["xy", "color_temp"],
        "unique_id": f"{LAMP_IEEE}_light_zigbee2mqtt",
    }


SENSOR_IEEE: Final = "0x00158d0001a2b3c4"
SENSOR_NAME: Final = "Bedroom sensor"
SENSOR_TOPIC: Final = f"zigbee2mqtt/{SENSOR_NAME}"


def z2m_temperature() -> dict[str, Any]:
    return {
        "availability": Z2M_AVAILABILITY,
        "device": z2m_device(SENSOR_IEEE, SENSOR_NAME, "WSDCGQ11LM"),
        "device_class": "temperature",
        "enabled_by_default": True,
        "name": "Temperature",
        "object_id": "bedroom_sensor_temperature",
        "origin": Z2M_ORIGIN,
        "state_class": "measurement",
        "state_topic": SENSOR_TOPIC,
        "unique_id": f"{SENSOR_IEEE}_temperature_zigbee2mqtt",
        "unit_of_measurement": "°C",
        "value_template": "{{ value_json.temperature }}",
    }


def z2m_contact() -> dict[str, Any]:
    """Zigbee2MQTT writes contact sensors with JSON booleans as payloads."""
    return {
        "availability": Z2M_AVAILABILITY,
        "device": z2m_device(SENSOR_IEEE, SENSOR_NAME, "WSDCGQ11LM"),
        "device_class": "door",
        "name": "Door",
        "object_id": "bedroom_sensor_door",
        "payload_off": True,
        "payload_on": False,
        "state_topic": SENSOR_TOPIC,
        "unique_id": f"{SENSOR_IEEE}_contact_zigbee2mqtt",
        "value_template": "{{ value_json.contact }}",
    }


LOCK_IEEE: Final = "0x00158d000777aaaa"
LOCK_TOPIC: Final = "zigbee2mqtt/Front door"


def z2m_lock() -> dict[str, Any]:
    return {
        "availability": Z2M_AVAILABILITY,
        "command_topic": f"{LOCK_TOPIC}/set",
        "device": z2m_device(LOCK_IEEE, "Front door", "YRD226HA2619"),
        "name": None,
        "object_id": "front_door",
        "payload_lock": "LOCK",
        "payload_unlock": "UNLOCK",
        "state_locked": "LOCK",
        "state_unlocked": "UNLOCK",
        "state_topic": LOCK_TOPIC,
        "unique_id": f"{LOCK_IEEE}_lock_zigbee2mqtt",
        "value_template": "{{ value_json.state }}",
    }


BLIND_TOPIC: Final = "zigbee2mqtt/Office blind"


def z2m_cover() -> dict[str, Any]:
    return {
        "availability": Z2M_AVAILABILITY,
        "command_topic": f"{BLIND_TOPIC}/set",
        "device": z2m_device("0x00158d000888bbbb", "Office blind", "E1757"),
        "name": None,
        "object_id": "office_blind",
        "position_template": "{{ value_json.position }}",
        "position_topic": BLIND_TOPIC,
        "set_position_template": '{ "position": {{ position }} }',
        "set_position_topic": f"{BLIND_TOPIC}/set",
        "state_topic": BLIND_TOPIC,
        "value_template": "{{ value_json.state }}",
        "state_open": "OPEN",
        "state_closed": "CLOSE",
        "unique_id": "0x00158d000888bbbb_cover_zigbee2mqtt",
    }


def z2m_identify() -> dict[str, Any]:
    return {
        "command_topic": f"{LAMP_TOPIC}/set/identify",
        "device": z2m_device(LAMP_IEEE, LAMP_NAME, "TRADFRI bulb E27 CWS 806lm"),
        "device_class": "identify",
        "entity_category": "config",
        "name": "Identify",
        "object_id": "living_room_lamp_identify",
        "payload_press": "identify",
        "unique_id": f"{LAMP_IEEE}_identify_zigbee2mqtt",
    }


TASMOTA_ID: Final = "tasmota_1A2B3C"
TASMOTA_BASE: Final = f"tasmota/{TASMOTA_ID}/"
TASMOTA_DIMMER_DISCOVERY: Final = f"{PREFIX}/light/{TASMOTA_ID}/light_1/config"


def tasmota_dimmer() -> dict[str, Any]:
    """A dimmer in Tasmota's abbreviated shape, brightness 0..100, default schema."""
    return {
        "name": "Kitchen dimmer",
        "~": TASMOTA_BASE,
        "cmd_t": "~cmnd/POWER",
        "stat_t": "~tele/STATE",
        "stat_val_tpl": "{{value_json.POWER}}",
        "pl_off": "OFF",
        "pl_on": "ON",
        "avty_t": "~tele/LWT",
        "pl_avail": "Online",
        "pl_not_avail": "Offline",
        "uniq_id": "1A2B3C_LI_1",
        "dev": {"ids": ["1A2B3C"], "name": "Kitchen dimmer", "mdl": "Sonoff D1", "sw": "13.2.0",
                "mf": "Tasmota"},
        "bri_cmd_t": "~cmnd/Dimmer",
        "bri_stat_t": "~tele/STATE",
        "bri_scl": 100,
        "on_cmd_type": "brightness",
        "bri_val_tpl": "{{value_json.Dimmer}}",
    }  # fmt: skip


def tasmota_relay() -> dict[str, Any]:
    return {
        "name": "Kitchen fan",
        "~": TASMOTA_BASE,
        "cmd_t": "~cmnd/POWER2",
        "stat_t": "~stat/RESULT",
        "val_tpl": "{{value_json.POWER2}}",
        "pl_off": "OFF",
        "pl_on": "ON",
        "avty_t": "~tele/LWT",
        "pl_avail": "Online",
        "pl_not_avail": "Offline",
        "uniq_id": "1A2B3C_RL_2",
        "dev": {"ids": ["1A2B3C"]},
    }


def tasmota_power() -> dict[str, Any]:
    return {
        "name": "Kitchen dimmer power",
        "stat_t": f"{TASMOTA_BASE}tele/SENSOR",
        "avty_t": f"{TASMOTA_BASE}tele/LWT",
        "pl_avail": "Online",
        "pl_not_avail": "Offline",
        "uniq_id": "1A2B3C_ENERGY_Power",
        "dev": {"ids": ["1A2B3C"]},
        "unit_of_meas": "W",
        "dev_cla": "power",
        "stat_cla": "measurement",
        "val_tpl": "{{value_json['ENERGY']['Power'] | float | round(1)}}",
    }
