"""Discovery payloads as untrusted input, fed straight to the integration (no broker needed)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import pytest

from hearth import const
from hearth.config.mqtt_fields import MqttSection
from hearth.core.events import EVENT_STATE_CHANGED, Event
from hearth.core.hub import Hub
from hearth.integrations import demo
from hearth.integrations.mqtt import MqttIntegration
from hearth.integrations.mqtt.client import Message
from tests.integrations.demo.common import DemoConf
from tests.integrations.mqtt import payloads as p

Feed = Callable[[str, Any], Awaitable[None]]


@pytest.fixture
def integration(mqtt_hub: Hub) -> MqttIntegration:
    """The integration, not connected: discovery still works, entities are unavailable."""
    return MqttIntegration(mqtt_hub, MqttSection(broker="127.0.0.1", port=1))


@pytest.fixture
def feed(integration: MqttIntegration) -> Feed:
    """Deliver a message as the broker would (JSON for objects, bytes as they are), and wait
    until discovery has applied it."""

    async def deliver(topic: str, payload: Any) -> None:
        if isinstance(payload, bytes):
            data = payload
        elif isinstance(payload, str):
            data = payload.encode()
        else:
            data = orjson.dumps(payload)
        integration.client._dispatch(Message(topic, data, retain=True))
        for _ in range(1000):
            if integration.discovery.idle():
                return
            await asyncio.sleep(0.001)
        raise AssertionError("discovery did not apply the message")

    return deliver


def entity(integration: MqttIntegration, entity_id: str) -> Any:
    return integration.platform.entities[entity_id]


async def test_zigbee2mqtt_payloads(
    integration: MqttIntegration, feed: Feed, mqtt_hub: Hub
) -> None:
    await feed(p.LAMP_DISCOVERY, p.z2m_lamp())
    await feed(f"{p.PREFIX}/sensor/{p.SENSOR_IEEE}/temperature/config", p.z2m_temperature())
    await feed(f"{p.PREFIX}/binary_sensor/{p.SENSOR_IEEE}/contact/config", p.z2m_contact())
    await feed(f"{p.PREFIX}/lock/{p.LOCK_IEEE}/lock/config", p.z2m_lock())
    await feed(f"{p.PREFIX}/cover/0x00158d000888bbbb/cover/config", p.z2m_cover())
    await feed(f"{p.PREFIX}/button/{p.LAMP_IEEE}/identify/config", p.z2m_identify())
    assert sorted(integration.platform.entities) == [
        "binary_sensor.bedroom_sensor_door",
        "button.living_room_lamp_identify",
        "cover.office_blind",
        "light.living_room_lamp",
        "lock.front_door",
        "sensor.bedroom_sensor_temperature",
    ]
    await feed(p.SENSOR_TOPIC, {"temperature": 21.5, "contact": False, "battery": 97})
    assert entity(integration, "sensor.bedroom_sensor_temperature").value == "21.5"
    assert entity(integration, "binary_sensor.bedroom_sensor_door").is_on is True  # open
    await feed(p.LOCK_TOPIC, {"state": "UNLOCK"})
    assert entity(integration, "lock.front_door").lock_state == "unlocked"
    await feed(p.BLIND_TOPIC, {"state": "OPEN", "position": 40})
    blind = entity(integration, "cover.office_blind")
    assert (blind.cover_state, blind.position) == ("open", 40)
    temperature = mqtt_hub.states.get("sensor.bedroom_sensor_temperature")
    assert temperature is not None
    assert temperature.attributes["friendly_name"] == "Bedroom sensor Temperature"
    assert temperature.attributes["unit_of_measurement"] == "°C"
    assert temperature.state == "unavailable"  # not connected
    # One device per Zigbee device, found again by its identifiers.
    names = sorted(device["name"] for device in mqtt_hub.registries.devices.as_list())
    assert names == ["Bedroom sensor", "Front door", "Living room lamp", "Office blind"]


async def test_tasmota_abbreviations_and_base_topic(
    integration: MqttIntegration, feed: Feed
) -> None:
    await feed(p.TASMOTA_DIMMER_DISCOVERY, p.tasmota_dimmer())
    dimmer = entity(integration, "light.kitchen_dimmer")
    assert dimmer.config.command_topic == "tasmota/tasmota_1A2B3C/cmnd/POWER"
    assert dimmer.config.brightness_scale == 100
    assert dimmer.config.availability_topic == "tasmota/tasmota_1A2B3C/tele/LWT"
    await feed("tasmota/tasmota_1A2B3C/tele/STATE", {"POWER": "ON", "Dimmer": 100})
    assert (dimmer.is_on, dimmer.brightness) == (True, 255)


async def test_removal_by_empty_payload(
    integration: MqttIntegration, feed: Feed, mqtt_hub: Hub
) -> None:
    await feed(p.LAMP_DISCOVERY, p.z2m_lamp())
    assert "light.living_room_lamp" in mqtt_hub.states
    await feed(p.LAMP_DISCOVERY, b"")
    assert "light.living_room_lamp" not in mqtt_hub.states
    assert "light.living_room_lamp" not in mqtt_hub.registries.entities
    assert mqtt_hub.registries.devices.as_list() == []
    await feed(p.LAMP_DISCOVERY, p.z2m_lamp())  # and it can come back, under the same id
    assert "light.living_room_lamp" in mqtt_hub.states


async def test_update_keeps_the_entity(
    integration: MqttIntegration, feed: Feed, mqtt_hub: Hub
) -> None:
    await feed(p.LAMP_DISCOVERY, p.z2m_lamp())
    changed: list[Event] = []
    mqtt_hub.bus.listen(EVENT_STATE_CHANGED, changed.append)
    await feed(p.LAMP_DISCOVERY, p.z2m_lamp())  # the same payload again: nothing happens
    assert changed == []
    renamed = {**p.z2m_lamp(), "device": {**p.z2m_lamp()["device"], "name": "Reading lamp"}}
    await feed(p.LAMP_DISCOVERY, renamed)
    state = mqtt_hub.states.get("light.living_room_lamp")
    assert state is not None
    assert state.attributes["friendly_name"] == "Reading lamp"
    assert list(integration.platform.entities) == ["light.living_room_lamp"]
    assert [d["name"] for d in mqtt_hub.registries.devices.as_list()] == ["Reading lamp"]


async def test_unknown_keys_are_logged_once(
    integration: MqttIntegration, feed: Feed, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="hearth.integrations.mqtt"):
        await feed(p.LAMP_DISCOVERY, p.z2m_lamp())
        other = {**p.z2m_lamp(), "unique_id": "other", "object_id": "other_lamp"}
        await feed(f"{p.PREFIX}/light/0x1/light/config", other)
    lines = [
        r.getMessage()
        for r in caplog.records
        if "is not supported and is ignored" in r.getMessage()
    ]
    assert lines == [
        "MQTT discovery: the light key 'json_attributes_topic' is not supported and is ignored "
        f"(first seen on {p.LAMP_DISCOVERY})"
    ]
    assert "light.other_lamp" in integration.platform.entities


def _nested(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


def _nested_list(depth: int) -> bytes:
    return b'{"a":' + b"[" * depth + b"]" * depth + b"}"


REFUSED = [
    ("10 MB", b'{"name": "' + b"x" * (10 * 1024 * 1024) + b'"}', "more than the 32768 allowed"),
    ("nested 10000 deep", _nested_list(10_000), "nested too deep"),
    ("nested 40 deep", _nested(40), "nested deeper than 32 levels"),
    ("not JSON", b"{'name': 1}", "not valid JSON"),
    ("not UTF-8", b'{"name": "\xff\xfe"}', "not valid JSON"),
    ("a list", b"[1, 2]", "expected a JSON object"),
    ("jinja statement", {**p.z2m_temperature(), "value_template": "{% for x in y %}x{% endfor %}"},
     "outside Hearth's subset"),
    ("jinja filter", {**p.z2m_temperature(), "value_template": "{{ value_json.t | lower }}"},
     "outside Hearth's subset"),
    ("attribute access", {**p.z2m_temperature(), "value_template": "{{ value.__class__ }}"},
     "outside Hearth's subset"),
    ("a call", {**p.z2m_temperature(), "value_template": "{{ cycler.__init__.__globals__ }}"},
     "outside Hearth's subset"),
    ("wildcard state topic", {**p.z2m_temperature(), "state_topic": "#"}, "without the wildcards"),
    ("broker topics", {**p.z2m_temperature(), "state_topic": "$SYS/broker/#"}, "wildcards"),
    ("broker topic", {**p.z2m_temperature(), "state_topic": "$SYS/broker/uptime"}, "start with $"),
    ("long name", {**p.z2m_temperature(), "name": "n" * 300}, "name:"),
    ("command into discovery", {**p.z2m_lock(), "command_topic": "homeassistant/lock/x/config"},
     "must not be under homeassistant/"),
    ("missing state topic", {"name": "x", "unique_id": "u"}, "state_topic: required"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("payload", "reason"), [case[1:] for case in REFUSED], ids=[c[0] for c in REFUSED]
)
async def test_refused_payloads_log_a_line_and_change_nothing(
    integration: MqttIntegration, feed: Feed, mqtt_hub: Hub, caplog: pytest.LogCaptureFixture,
    payload: Any, reason: str,
) -> None:  # fmt: skip
    await feed(p.LAMP_DISCOVERY, p.z2m_lamp())
    before = {state.entity_id: state for state in mqtt_hub.states.all()}
    component = (
        "lock" if "command_topic" in str(payload)[:0] or reason.startswith("must") else "sensor"
    )
    topic = f"{p.PREFIX}/{component}/{p.SENSOR_IEEE}/evil/config"
    with caplog.at_level(logging.WARNING, logger="hearth.integrations.mqtt"):
        await feed(topic, payload)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"MQTT message on {topic} refused: discovery payload refused: ")
    assert reason in lines[0]
    assert "x" * 100 not in lines[0]  # the payload is never quoted
    assert {state.entity_id: state for state in mqtt_hub.states.all()} == before
    # The hub is unaffected: the lamp still takes its state.
    await feed(p.LAMP_TOPIC, {"state": "ON"})
    assert integration.platform.entities["light.living_room_lamp"].is_on is True


async def test_a_flood_of_refusals_logs_once(
    integration: MqttIntegration, feed: Feed, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="hearth.integrations.mqtt"):
        for _ in range(200):
            await feed(f"{p.PREFIX}/sensor/x/y/config", b"not json")
    assert len(caplog.records) == 1


async def test_unique_id_of_another_device_is_refused(
    integration: MqttIntegration, feed: Feed, caplog: pytest.LogCaptureFixture
) -> None:
    await feed(f"{p.PREFIX}/lock/{p.LOCK_IEEE}/lock/config", p.z2m_lock())
    hijack = {**p.z2m_lock(), "command_topic": "attacker/set", "object_id": "mine"}
    with caplog.at_level(logging.WARNING, logger="hearth.integrations.mqtt"):
        await feed(f"{p.PREFIX}/lock/attacker/lock/config", hijack)
    assert "already used by lock.front_door" in caplog.text
    assert list(integration.platform.entities) == ["lock.front_door"]
    assert entity(integration, "lock.front_door").config.command_topic == f"{p.LOCK_TOPIC}/set"


@pytest.mark.parametrize(
    "topic",
    [
        f"{p.PREFIX}/alarm_control_panel/x/config",  # not a supported component
        f"{p.PREFIX}/light/../config",
        f"{p.PREFIX}/light/a b/config",
    ],
)
async def test_topics_outside_the_scheme_create_nothing(
    integration: MqttIntegration, feed: Feed, topic: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="hearth.integrations.mqtt"):
        await feed(topic, p.z2m_lamp())
    assert integration.platform.entities == {}
    assert len(caplog.records) == 1


def test_topics_too_deep_are_not_even_received(integration: MqttIntegration) -> None:
    patterns = integration.discovery.topics()
    assert patterns == (f"{p.PREFIX}/+/+/config", f"{p.PREFIX}/+/+/+/config")


async def test_never_takes_another_integrations_entity(
    integration: MqttIntegration, feed: Feed, mqtt_hub: Hub
) -> None:
    await demo.async_setup(mqtt_hub, DemoConf(lights=1, switches=0, sensors=0))  # type: ignore[arg-type]
    mqtt_hub.states.set("switch.kitchen", "on", {"friendly_name": "Set over the API"})
    demo_light = mqtt_hub.states.get("light.demo_light_1")
    await feed(f"{p.PREFIX}/light/evil/a/config", {**p.z2m_lamp(), "object_id": "demo_light_1"})
    await feed(f"{p.PREFIX}/switch/evil/b/config", {"name": "Kitchen", "unique_id": "k",
                                              "command_topic": "evil/set",
                                              "default_entity_id": "switch.kitchen"})  # fmt: skip
    assert sorted(integration.platform.entities) == ["light.demo_light_1_2", "switch.kitchen_2"]
    assert mqtt_hub.states.get("light.demo_light_1") == demo_light
    kitchen = mqtt_hub.states.get("switch.kitchen")
    assert kitchen is not None
    assert kitchen.attributes["friendly_name"] == "Set over the API"
    # Entities are made only in the component of the topic: a payload cannot name a domain.
    await feed(f"{p.PREFIX}/sensor/evil/c/config", {**p.z2m_temperature(), "unique_id": "c",
                                              "default_entity_id": "lock.front_door"})  # fmt: skip
    assert "sensor.front_door" not in integration.platform.entities
    assert all(entity_id.split(".")[0] != "lock" for entity_id in integration.platform.entities)


async def test_entity_limit(
    integration: MqttIntegration, feed: Feed, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(const, "MQTT_MAX_ENTITIES", 2)
    for number in range(3):
        payload = {**p.z2m_temperature(), "unique_id": f"u{number}", "object_id": f"n{number}"}
        await feed(f"{p.PREFIX}/sensor/s/n{number}/config", payload)
    assert len(integration.platform.entities) == 2


@pytest.mark.parametrize(
    "payload",
    [_nested_list(10_000), b"x" * (10 * 1024 * 1024), b"\xff\xfe", b"[1]", b'{"POWER": [1]}',
     b'{"Dimmer": "NaN"}', b'{"Dimmer": 1e999}', b'{"Dimmer": {"a": 1}}', b""],
)  # fmt: skip
async def test_bad_state_messages_change_nothing_and_raise_nothing(
    integration: MqttIntegration, feed: Feed, caplog: pytest.LogCaptureFixture, payload: bytes
) -> None:
    await feed(p.TASMOTA_DIMMER_DISCOVERY, p.tasmota_dimmer())
    await feed("tasmota/tasmota_1A2B3C/tele/STATE", {"POWER": "ON", "Dimmer": 40})
    dimmer = entity(integration, "light.kitchen_dimmer")
    with caplog.at_level(logging.WARNING):
        await feed("tasmota/tasmota_1A2B3C/tele/STATE", payload)
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert (dimmer.is_on, dimmer.brightness) == (True, 102)


async def test_discovery_messages_waiting_are_bounded(
    integration: MqttIntegration, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A burst faster than the registry writes: at most MQTT_MAX_QUEUED wait, in order."""
    monkeypatch.setattr(const, "MQTT_MAX_QUEUED", 2)
    with caplog.at_level(logging.WARNING, logger="hearth.integrations.mqtt"):
        for number in range(3):  # delivered back to back, before any is applied
            payload = {**p.z2m_temperature(), "unique_id": f"u{number}", "object_id": f"n{number}"}
            topic = f"{p.PREFIX}/sensor/s/n{number}/config"
            integration.client._dispatch(Message(topic, orjson.dumps(payload), retain=True))
    for _ in range(1000):
        if integration.discovery.idle():
            break
        await asyncio.sleep(0.001)
    assert sorted(integration.platform.entities) == ["sensor.n0", "sensor.n1"]
    assert [r.getMessage() for r in caplog.records] == [
        f"MQTT message on {p.PREFIX}/sensor/s/n2/config refused: too many discovery messages "
        "waiting"
    ]
