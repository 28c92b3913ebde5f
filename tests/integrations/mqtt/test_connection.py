"""The connection against a real Mosquitto: restarts, wrong credentials, bad TLS, MQTT 3.1.1."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

import aiomqtt
import pytest

from hearth.config.mqtt_fields import MqttSection
from hearth.core.hub import Hub
from hearth.exceptions import ConfigError, Unavailable
from hearth.integrations import mqtt
from hearth.integrations.mqtt.security import PlaintextRefused, broker_address
from hearth.integrations.mqtt.status import ConnectionState, read_status
from tests.integrations.mqtt import payloads as p
from tests.integrations.mqtt.support import Inbox, connected, device, publish_json, wait_for
from tests.mqtt_broker import (
    HOST,
    TASMOTA_PASSWORD,
    TASMOTA_USER,
    Z2M_PASSWORD,
    Z2M_USER,
    Broker,
    make_broker,
)

LAMP = "light.living_room_lamp"


def lamp_state(hub: Hub) -> str | None:
    state = hub.states.get(LAMP)
    return state.state if state is not None else None


async def test_broker_restart_unavailable_then_back_without_duplicates(
    broker: Broker, mqtt_conf: MqttSection, mqtt_hub: Hub
) -> None:
    integration = await mqtt.async_setup(mqtt_hub, mqtt_conf)
    await connected(integration)
    async with device(broker, Z2M_USER, Z2M_PASSWORD) as z2m:
        await publish_json(z2m, p.Z2M_BRIDGE_STATE, {"state": "online"})
        await publish_json(z2m, p.LAMP_DISCOVERY, p.z2m_lamp())
        await publish_json(z2m, p.LAMP_TOPIC, {"state": "ON", "brightness": 254})
        await wait_for(lambda: lamp_state(mqtt_hub) == "on", what="lamp on")
    before = sorted(mqtt_hub.states.entity_ids())
    broker.kill()
    await wait_for(lambda: lamp_state(mqtt_hub) == "unavailable", what="unavailable")
    assert integration.client.status.state is not ConnectionState.CONNECTED
    # A command while the broker is gone is refused, never reported as sent.
    with pytest.raises(Unavailable):
        await mqtt_hub.services.call("light", "turn_on", {"entity_id": LAMP})
    broker.start()
    # Retained discovery and state come back from the broker's persistence.
    await wait_for(lambda: lamp_state(mqtt_hub) == "on", what="back on", timeout=15)
    assert sorted(mqtt_hub.states.entity_ids()) == before
    assert len(mqtt_hub.registries.entities) == 1
    inbox = Inbox()
    async with device(broker, Z2M_USER, Z2M_PASSWORD) as z2m:
        await z2m.subscribe(f"{p.LAMP_TOPIC}/set", qos=1)
        async with inbox.collecting(z2m):
            await mqtt_hub.services.call("light", "turn_off", {"entity_id": LAMP})
            # Acknowledged means the broker had it: the device receives it.
            await wait_for(lambda: inbox.on(f"{p.LAMP_TOPIC}/set"), what="command")
    assert inbox.on(f"{p.LAMP_TOPIC}/set") == [b'{"state":"OFF"}']


async def test_wrong_password_one_line_and_no_tight_loop(
    broker: Broker, mqtt_conf: MqttSection, mqtt_hub: Hub, tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    conf = mqtt_conf.model_copy(update={"password": "wrong-password"})
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / ".hearth.lock").write_text(f"{__import__('os').getpid()}\n")
    with caplog.at_level(logging.INFO, logger="hearth.integrations.mqtt"):
        integration = await mqtt.async_setup(mqtt_hub, conf, config_dir=config_dir)
        await wait_for(lambda: integration.client.status.state is ConnectionState.AUTH_FAILED)
        # A lower bound an attacker-free retry loop must respect: nothing more for a while.
        await asyncio.sleep(1.5)
    refused = [line for line in broker.log().splitlines() if "not authorised" in line]
    assert len(refused) == 1, broker.log()
    lines = [r for r in caplog.records if "refused the username and password" in r.getMessage()]
    assert len(lines) == 1
    assert lines[0].levelno == logging.ERROR
    assert "wrong-password" not in caplog.text
    status = read_status(config_dir)
    assert status is not None
    assert status["state"] == "auth_failed"
    assert status["failures"] == 1
    assert "wrong-password" not in str(status)


async def test_untrusted_certificate_is_refused(
    broker: Broker, mqtt_conf: MqttSection, mqtt_hub: Hub, tmp_path: Path
) -> None:
    other = make_broker(tmp_path / "other")  # another CA: the broker's certificate is not its
    conf = mqtt_conf.model_copy(update={"ca_certificate": other.ca_file})
    integration = await mqtt.async_setup(mqtt_hub, conf)
    await wait_for(lambda: integration.client.status.state is ConnectionState.TLS_FAILED)
    assert "could not be verified" in integration.client.status.detail
    assert not integration.client.connected


async def test_clear_text_to_a_public_broker_refuses_to_start(mqtt_hub: Hub) -> None:
    conf = MqttSection(broker="203.0.113.7", port=1883, tls=False)
    with pytest.raises(ConfigError) as caught:
        await mqtt.async_setup(mqtt_hub, conf)
    assert caught.value.key == "mqtt.broker"
    assert "tls is false" in caught.value.message
    assert "\n" not in caught.value.message


async def test_clear_text_beyond_the_built_in_networks_needs_local_networks() -> None:
    # Checked without connecting: tests send nothing beyond this machine.
    conf = MqttSection(broker="203.0.113.7", port=1883, tls=False)
    with pytest.raises(PlaintextRefused):
        await broker_address(conf)
    assert await broker_address(conf, ("203.0.113.0/24",)) == "203.0.113.7"
    await mqtt.check_broker(conf, ("203.0.113.0/24",))  # starts


async def test_clear_text_to_a_name_is_checked_on_what_it_resolves_to() -> None:
    conf = MqttSection(broker="localhost", port=1883, tls=False)
    assert await broker_address(conf) in ("127.0.0.1", "::1")


class Mqtt311Only:
    """A TCP proxy in front of Mosquitto that answers MQTT 5 CONNECTs as a 3.1.1-only broker
    does (CONNACK 0x01, unacceptable protocol version) and relays everything else."""

    def __init__(self, upstream: int) -> None:
        self.upstream = upstream
        self.refused = 0
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._handle, HOST, 0)
        port: int = self.server.sockets[0].getsockname()[1]
        return port

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        first = await reader.read(4096)
        # CONNECT: fixed header, remaining length, "\x00\x04MQTT", then the protocol level.
        marker = first.find(b"\x00\x04MQTT")
        if marker >= 0 and first[marker + 6] == 5:
            self.refused += 1
            writer.write(b"\x20\x02\x00\x01")
            await writer.drain()
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection(HOST, self.upstream)
        up_writer.write(first)

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


async def test_falls_back_to_mqtt_3_1_1(tmp_path: Path, mqtt_hub: Hub) -> None:
    plain = make_broker(tmp_path / "plain", tls=False)  # loopback: clear text is allowed
    plain.start()
    proxy = Mqtt311Only(plain.port)
    try:
        port = await proxy.start()
        conf = MqttSection(
            broker=HOST, port=port, tls=False, username="hearth",
            password="hub-password-for-tests-9f3a",
        )  # fmt: skip
        integration = await mqtt.async_setup(mqtt_hub, conf)
        await wait_for(
            lambda: integration.client.status.state is ConnectionState.CONNECTED,
            what="connected over 3.1.1",
        )
        assert integration.client.status.protocol == "3.1.1"
        assert proxy.refused == 1
        await mqtt_hub.stop()  # before the broker goes: a clean goodbye, not a lost connection
    finally:
        assert proxy.server is not None
        proxy.server.close()
        plain.stop()


@pytest.mark.parametrize("key", ["ca_certificate", "client_certificate"])
def test_tls_files_that_cannot_be_loaded_stop_the_set_up_in_one_line(
    tmp_path: Path, key: str
) -> None:
    """The files are loaded once, at set-up (before a hub started as root gives it up): a file
    that is not what it should be is a configuration error then, not a retry loop later."""
    bad = tmp_path / "not-a-certificate.pem"
    bad.write_text(
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"
    )
    files = {"ca_certificate": bad}
    if key == "client_certificate":
        files = {"client_certificate": bad, "client_key": bad}
    conf = MqttSection(broker=HOST, **files)  # type: ignore[arg-type]
    with pytest.raises(ConfigError) as caught:
        mqtt.MqttIntegration(Hub(), conf)
    assert caught.value.key == f"mqtt.{key}"
    assert str(caught.value).startswith(f"configuration: mqtt.{key}: {bad}: cannot be loaded (")
    assert "\n" not in str(caught.value)


def _switch(name: str, command_topic: str) -> dict[str, str]:
    return {"name": name, "unique_id": name, "object_id": name, "command_topic": command_topic}


async def test_the_documented_acl_keeps_each_device_to_its_own_topics(
    broker: Broker, mqtt_conf: MqttSection, mqtt_hub: Hub
) -> None:
    """The broker set up as docs/mqtt.md says: no anonymous client; a device can neither
    command another device nor announce entities under another device's name."""
    anonymous = aiomqtt.Client(
        HOST, broker.port, identifier="anonymous", tls_context=broker.client_context()
    )
    with pytest.raises(aiomqtt.MqttError):
        async with anonymous:
            pass
    integration = await mqtt.async_setup(mqtt_hub, mqtt_conf)
    await connected(integration)
    inbox = Inbox()
    own = f"tasmota/{TASMOTA_USER}/cmnd/POWER"
    async with (
        device(broker, Z2M_USER, Z2M_PASSWORD) as z2m,
        device(broker, TASMOTA_USER, TASMOTA_PASSWORD) as tasmota,
    ):
        await z2m.subscribe(f"{p.LAMP_TOPIC}/set", qos=1)
        async with inbox.collecting(z2m):
            await tasmota.publish(f"{p.LAMP_TOPIC}/set", b'{"state":"ON"}', qos=1)
            await publish_json(tasmota, f"{p.PREFIX}/switch/{Z2M_USER}/forged/config",
                               _switch("forged", own))  # fmt: skip
            await publish_json(tasmota, f"{p.PREFIX}/switch/{TASMOTA_USER}/relay/config",
                               _switch("own_relay", own))  # fmt: skip
            await wait_for(lambda: "switch.own_relay" in mqtt_hub.states, what="own discovery")
            # A marker sent after the forged command: once it arrived, so would have that one.
            await z2m.publish(f"{p.LAMP_TOPIC}/set", b"marker", qos=1)
            await wait_for(lambda: inbox.on(f"{p.LAMP_TOPIC}/set"), what="marker")
    assert inbox.on(f"{p.LAMP_TOPIC}/set") == [b"marker"]
    assert "switch.forged" not in mqtt_hub.states
