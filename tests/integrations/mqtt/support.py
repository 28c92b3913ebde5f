"""Helpers for MQTT tests: a simulated device client, waiting on conditions with deadlines."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiomqtt
import orjson

from tests.mqtt_broker import HOST, Broker

DEADLINE = 10.0


async def wait_for(condition: Callable[[], Any], timeout: float = DEADLINE, what: str = "") -> Any:
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = condition()
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await asyncio.sleep(0.01)


async def connected(integration: Any) -> None:
    """Until the integration has subscribed everything and announced itself (bounded)."""
    from hearth.integrations.mqtt.status import ConnectionState

    await wait_for(
        lambda: integration.client.status.state is ConnectionState.CONNECTED, what="connected"
    )


@contextlib.asynccontextmanager
async def device(broker: Broker, username: str, password: str) -> AsyncIterator[aiomqtt.Client]:
    """A simulated device connected with its own credentials (TLS when the broker has it)."""
    client = aiomqtt.Client(
        HOST,
        broker.port,
        username=username,
        password=password,
        identifier=f"device-{username}",
        tls_context=broker.client_context() if broker.tls else None,
        protocol=aiomqtt.ProtocolVersion.V311,
    )
    async with client:
        yield client


async def publish_json(
    client: aiomqtt.Client, topic: str, payload: Any, *, retain: bool = True
) -> None:
    """Publish JSON (QoS 1, so the broker has it when this returns)."""
    await client.publish(topic, orjson.dumps(payload), qos=1, retain=retain)


class Inbox:
    """Messages a simulated device receives while `async with inbox.collecting(client)`."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, bytes]] = []

    async def _collect(self, client: aiomqtt.Client) -> None:
        with contextlib.suppress(aiomqtt.MqttError):
            async for message in client.messages:
                payload = message.payload if isinstance(message.payload, bytes) else b""
                self.messages.append((message.topic.value, payload))

    @contextlib.asynccontextmanager
    async def collecting(self, client: aiomqtt.Client) -> AsyncIterator[None]:
        task = asyncio.create_task(self._collect(client))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def on(self, topic: str) -> list[bytes]:
        return [payload for got, payload in self.messages if got == topic]
