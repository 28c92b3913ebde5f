"""Fixtures for MQTT tests: a real Mosquitto (TLS, passwords, ACL) and a started hub."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from hearth.config.mqtt_fields import MqttSection
from hearth.core.hub import Hub
from tests.mqtt_broker import HOST, HUB_PASSWORD, HUB_USER, Broker, make_broker


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    """A running Mosquitto with TLS on loopback; stopped after the test."""
    running = make_broker(tmp_path / "broker")
    running.start()
    yield running
    running.stop()


@pytest.fixture
def mqtt_conf(broker: Broker) -> MqttSection:
    """The hub's `mqtt:` section for that broker."""
    return MqttSection(
        broker=HOST,
        port=broker.port,
        username=HUB_USER,
        password=HUB_PASSWORD,
        ca_certificate=broker.ca_file,
        client_id="hearth-test",
    )


@pytest.fixture
async def mqtt_hub() -> AsyncIterator[Hub]:
    """A started hub, stopped after the test."""
    hub = Hub()
    await hub.start()
    yield hub
    await hub.stop()
