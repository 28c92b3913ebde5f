"""The real hub (a process) against a real Mosquitto (TLS, password file, ACL, no anonymous).

Simulated Zigbee2MQTT and Tasmota devices publish discovery; the test drives the hub through
REST and the WebSocket as a client would, kills and restarts the broker, and sends what a
hostile device would.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from tests.acceptance.support import HubFactory, RunningHub, free_port, hearth, port_open
from tests.acceptance.support_ws import ws_auth
from tests.acceptance.test_startup_refusals import line_of, refusal
from tests.integrations.mqtt import payloads as p
from tests.integrations.mqtt.support import Inbox, device, publish_json, wait_for
from tests.mqtt_broker import (
    HOST,
    HUB_PASSWORD,
    TASMOTA_PASSWORD,
    TASMOTA_USER,
    Z2M_PASSWORD,
    Z2M_USER,
    Broker,
    make_broker,
)

pytestmark = pytest.mark.acceptance

LAMP = "light.living_room_lamp"
PASSWORD_VARIABLE = "MQTT_TEST_PASSWORD"


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    """A running Mosquitto with TLS on loopback."""
    running = make_broker(tmp_path / "broker")
    running.start()
    yield running
    running.stop()


def mqtt_section(broker: Broker) -> str:
    """The hub's `mqtt:` section; the password comes from the environment, not the file."""
    return (
        "mqtt:\n"
        f"  broker: {HOST}\n"
        f"  port: {broker.port}\n"
        "  username: hearth\n"
        f"  password: !env_var {PASSWORD_VARIABLE}\n"
        f"  ca_certificate: {broker.ca_file}\n"
        "  client_id: hearth-acceptance\n"
    )


def start(hub_factory: HubFactory, broker: Broker, monkeypatch: pytest.MonkeyPatch,
          password: str = HUB_PASSWORD) -> RunningHub:  # fmt: skip
    monkeypatch.setenv(PASSWORD_VARIABLE, password)
    return hub_factory(mqtt_section(broker))


class Api:
    """REST and one authenticated WebSocket to the running hub."""

    def __init__(self, hub: RunningHub, session: aiohttp.ClientSession) -> None:
        self.hub = hub
        self.session = session
        self.headers = {"Authorization": f"Bearer {hub.token}"}
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.next_id = 1
        self.events: list[dict[str, Any]] = []
        self.results: dict[int, dict[str, Any]] = {}
        self._reader: asyncio.Task[None] | None = None

    async def get(self, path: str) -> Any:
        async with self.session.get(self.hub.base_url + path, headers=self.headers) as response:
            assert response.status == 200, await response.text()
            return await response.json()

    async def state(self, entity_id: str) -> dict[str, Any] | None:
        async with self.session.get(
            f"{self.hub.base_url}/api/states/{entity_id}", headers=self.headers
        ) as response:
            return await response.json() if response.status == 200 else None

    async def connect(self) -> None:
        self.ws = await self.session.ws_connect(self.hub.ws_url)
        await ws_auth(self.ws, self.hub.token)
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.ws is not None
        async for message in self.ws:
            data = json.loads(message.data)
            for item in data if isinstance(data, list) else [data]:
                if item.get("type") == "event":
                    self.events.append(item)
                elif item.get("type") == "result":
                    self.results[item["id"]] = item

    async def command(self, payload: dict[str, Any]) -> dict[str, Any]:
        assert self.ws is not None
        msg_id, self.next_id = self.next_id, self.next_id + 1
        await self.ws.send_json({"id": msg_id, **payload})
        return dict(await wait_for(lambda: self.results.get(msg_id), what=str(payload)))

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
        if self.ws is not None:
            await self.ws.close()


@contextlib.asynccontextmanager
async def api(hub: RunningHub) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        client = Api(hub, session)
        await client.connect()
        try:
            yield client
        finally:
            await client.close()


async def poll_state(client: Api, entity_id: str, wanted: str) -> dict[str, Any]:
    """Wait (bounded) until the REST state of `entity_id` is `wanted`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    while True:
        state = await client.state(entity_id)
        if state is not None and state["state"] == wanted:
            return state
        if loop.time() > deadline:
            raise AssertionError(f"{entity_id} never became {wanted}: {state}")
        await asyncio.sleep(0.05)


async def test_discovery_to_command_to_state_and_a_broker_restart(
    broker: Broker, hub_factory: HubFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = start(hub_factory, broker, monkeypatch)
    inbox = Inbox()
    async with api(hub) as client, contextlib.AsyncExitStack() as stack:
        z2m = await stack.enter_async_context(device(broker, Z2M_USER, Z2M_PASSWORD))
        await z2m.subscribe(f"{p.LAMP_TOPIC}/set", qos=1)
        await stack.enter_async_context(inbox.collecting(z2m))
        subscribed = await client.command({"type": "subscribe_entities"})
        assert subscribed["success"], subscribed
        events = await client.command({"type": "subscribe_events", "event_type": "state_changed"})
        assert events["success"], events
        # Discovery -> entity in /api/states.
        await publish_json(z2m, p.Z2M_BRIDGE_STATE, {"state": "online"})
        await publish_json(z2m, p.LAMP_DISCOVERY, p.z2m_lamp())
        await poll_state(client, LAMP, "unknown")
        # subscribe_entities sees it.
        await wait_for(
            lambda: any(LAMP in event["event"].get("a", {}) for event in client.events),
            what="subscribe_entities add",
        )
        # call_service light.turn_on with brightness -> the command on the device's topic.
        called = await client.command(
            {"type": "call_service", "domain": "light", "service": "turn_on",
             "service_data": {"brightness": 128}, "target": {"entity_id": LAMP}}
        )  # fmt: skip
        assert called["success"], called
        await wait_for(lambda: inbox.on(f"{p.LAMP_TOPIC}/set"), what="the command")
        assert orjson.loads(inbox.on(f"{p.LAMP_TOPIC}/set")[0]) == {
            "state": "ON",
            "brightness": 127,
        }
        # The device answers on its state topic -> the state updates -> state_changed.
        answer = {"state": "ON", "brightness": 127, "color_mode": "color_temp", "color_temp": 300}
        await publish_json(z2m, p.LAMP_TOPIC, answer)
        lamp = await poll_state(client, LAMP, "on")
        assert lamp["attributes"]["brightness"] == 128
        assert lamp["attributes"]["color_temp_kelvin"] == 3333
        await wait_for(
            lambda: any(
                e["event"].get("event_type") == "state_changed"
                and e["event"]["data"]["entity_id"] == LAMP
                and e["event"]["data"]["new_state"]["state"] == "on"
                for e in client.events
            ),
            what="state_changed",
        )
        # The device shows up as a device, the connection for admins.
        devices = await client.command({"type": "config/device_registry/list"})
        assert [d["name"] for d in devices["result"]] == [p.LAMP_NAME]
        status = await client.get("/api/hearth/mqtt")
        assert (status["state"], status["tls"], status["username"]) == ("connected", True, "hearth")
        assert status["broker_version"].startswith("mosquitto version")
        assert "mqtt" in (await client.get("/api/config"))["components"]
        before = sorted(state["entity_id"] for state in await client.get("/api/states"))
    # Broker killed: unavailable, and a command is refused, not reported as sent.
    broker.kill()
    async with api(hub) as client:
        await poll_state(client, LAMP, "unavailable")
        refused = await client.command(
            {"type": "call_service", "domain": "light", "service": "turn_off",
             "target": {"entity_id": LAMP}}
        )  # fmt: skip
        assert refused["success"] is False
        assert refused["error"]["code"] == "unavailable"
        broker.start()
        await poll_state(client, LAMP, "on")
        assert sorted(s["entity_id"] for s in await client.get("/api/states")) == before
        inbox = Inbox()
        async with device(broker, Z2M_USER, Z2M_PASSWORD) as z2m:
            await z2m.subscribe(f"{p.LAMP_TOPIC}/set", qos=1)
            async with inbox.collecting(z2m):
                sent = await client.command(
                    {"type": "call_service", "domain": "light", "service": "turn_off",
                     "target": {"entity_id": LAMP}}
                )  # fmt: skip
                assert sent["success"], sent
                await wait_for(
                    lambda: inbox.on(f"{p.LAMP_TOPIC}/set"), what="command after restart"
                )
        assert inbox.on(f"{p.LAMP_TOPIC}/set") == [b'{"state":"OFF"}']
    assert hub.log().count("connected (TLS, MQTT 5)") == 2


def _deep(depth: int) -> bytes:
    return b'{"state": "ON", "x": ' + b"[" * depth + b"]" * depth + b"}"


async def test_hostile_payloads_are_refused_and_the_hub_carries_on(
    broker: Broker, hub_factory: HubFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = start(hub_factory, broker, monkeypatch)
    async with api(hub) as client, device(broker, TASMOTA_USER, TASMOTA_PASSWORD) as tasmota:
        await tasmota.publish(f"{p.TASMOTA_BASE}tele/LWT", b"Online", qos=1, retain=True)
        await publish_json(tasmota, p.TASMOTA_DIMMER_DISCOVERY, p.tasmota_dimmer())
        await poll_state(client, "light.kitchen_dimmer", "unknown")
        bad_template = {**p.tasmota_power(), "val_tpl": "{{ cycler.__init__.__globals__.os }}"}
        discovery = f"{p.PREFIX}/sensor/{p.TASMOTA_ID}/power/config"
        await publish_json(tasmota, discovery, bad_template)
        huge = b'{"name": "' + b"x" * (10 * 1024 * 1024) + b'"}'
        await tasmota.publish(f"{p.PREFIX}/sensor/{p.TASMOTA_ID}/huge/config", huge, qos=1)
        await tasmota.publish(f"{p.TASMOTA_BASE}tele/STATE", _deep(10_000), qos=1)
        await tasmota.publish(f"{p.TASMOTA_BASE}tele/STATE", b"x" * (10 * 1024 * 1024), qos=1)
        # The hub is unaffected: the next good message is used.
        await publish_json(tasmota, f"{p.TASMOTA_BASE}tele/STATE", {"POWER": "ON", "Dimmer": 100})
        dimmer = await poll_state(client, "light.kitchen_dimmer", "on")
        assert dimmer["attributes"]["brightness"] == 255
        assert await client.state("sensor.kitchen_dimmer_power") is None
    log = hub.log()
    refused = [line for line in log.splitlines() if "refused" in line]
    assert any("outside Hearth's subset" in line for line in refused), log
    assert any("10485772 bytes, more than the 32768 allowed" in line for line in refused), log
    assert any("nested too deep" in line for line in refused), log
    assert any("10485760 bytes, more than the 65536 allowed" in line for line in refused), log
    assert "x" * 100 not in log


async def test_wrong_password_one_line_a_check_finding_and_no_tight_loop(
    broker: Broker, hub_factory: HubFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = start(hub_factory, broker, monkeypatch, password="not-the-password")
    await wait_for(lambda: "refused the username and password" in hub.log(), what="log line")
    await asyncio.sleep(1.5)  # a lower bound the retry loop must respect
    assert len(re.findall(r"not authorised", broker.log())) == 1, broker.log()
    assert hub.log().count("refused the username and password") == 1
    assert "not-the-password" not in hub.log()
    checked = hearth(hub.config_dir, "check", "--json", "--offline")
    report = json.loads(checked.stdout)
    findings = {finding["id"]: finding for finding in report["findings"]}
    assert "mqtt.auth_failed" in findings, report
    assert findings["mqtt.auth_failed"]["severity"] == "fail"
    assert "not-the-password" not in checked.stdout


def test_clear_text_to_a_broker_off_the_lan_refuses_to_start(tmp_path: Path) -> None:
    from tests.acceptance.support import write_config

    config_dir = tmp_path / "config"
    port = free_port()
    write_config(config_dir, port, "mqtt:\n  broker: 203.0.113.7\n  port: 1883\n  tls: false\n")
    line = refusal(config_dir)
    assert line == (
        f"Error: configuration.yaml, line {line_of(config_dir, 'broker: 203')}: mqtt.broker: the "
        "broker is not on a local network and tls is false: the MQTT password and every command "
        "would cross other networks in clear text; set tls: true (and port: 8883)"
    )
    assert not port_open(port)
