"""The connection to the broker: connect, reconnect with backoff, subscribe, publish, dispatch.

One aiomqtt client per connection attempt, with a clean session: a command that was not
confirmed before the connection broke is reported as failed and never sent later behind the
caller's back. Subscriptions are kept here and made again on every connection, so a broker
restart brings back every retained discovery payload and state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import aiomqtt
from aiomqtt.exceptions import MqttConnectError
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from hearth import const
from hearth.exceptions import Unavailable
from hearth.integrations.mqtt import attempt
from hearth.integrations.mqtt.inbound import shown
from hearth.integrations.mqtt.security import (
    PlaintextRefused,
    TrackedContext,
    broker_address,
    tls_context,
)
from hearth.integrations.mqtt.status import ConnectionState, MqttStatus

if TYPE_CHECKING:
    from hearth.config.mqtt_fields import MqttSection

_LOGGER = logging.getLogger("hearth.integrations.mqtt")

VERSION_TOPIC: Final = "$SYS/broker/version"
MAX_RETAINED_CACHE: Final = 16 * 1024  # bytes of a retained message kept for late subscribers
SUBSCRIBE_BATCH: Final = 64


@dataclass(frozen=True, slots=True)
class Message:
    """One message from the broker."""

    topic: str
    payload: bytes
    retain: bool


Handler = Callable[[Message], None]


class MqttClient:
    """Keeps one connection to the broker and the subscriptions that outlive it."""

    def __init__(
        self,
        conf: MqttSection,
        *,
        local_networks: tuple[str, ...] = (),
        on_status: Callable[[MqttStatus], None] = lambda _status: None,
    ) -> None:
        self._conf = conf
        self._local_networks = local_networks
        self._on_status = on_status
        self.client_id = conf.client_id or f"hearth-{secrets.token_hex(4)}"
        self.status = MqttStatus(
            broker=f"{conf.broker}:{conf.port}",
            tls=conf.tls,
            client_certificate=conf.client_certificate is not None,
            username=conf.username,
        )
        self._exact: dict[str, list[Handler]] = {}
        self._patterns: dict[str, list[Handler]] = {}
        self._retained: dict[str, Message] = {}
        self._client: aiomqtt.Client | None = None
        self._lost = asyncio.Event()
        self._wake = asyncio.Event()
        self._to_subscribe: set[str] = set()
        self._protocol = aiomqtt.ProtocolVersion.V5
        # Read now, at set-up (before a hub started as root gives it up), and used for every
        # connection: the files need not be readable by the hub's own user.
        self._context = tls_context(conf)
        self._rng = random.Random()  # noqa: S311 - jitter, nothing secret
        self.on_connected: list[Callable[[], None]] = []
        self.on_disconnected: list[Callable[[], None]] = []
        # Learn the broker's version, if its ACL lets the hub read it.
        self._exact[VERSION_TOPIC] = [self._version]

    @property
    def connected(self) -> bool:
        """Whether commands can be sent now."""
        return self._client is not None and not self._lost.is_set()

    # Subscriptions.

    def subscribe(self, topic: str, handler: Handler) -> Callable[[], None]:
        """Call `handler` for each message on `topic` (`+`/`#` allowed); returns the undo."""
        table = self._patterns if ("+" in topic or "#" in topic) else self._exact
        handlers = table.setdefault(topic, [])
        handlers.append(handler)
        if len(handlers) == 1:
            self._to_subscribe.add(topic)
            self._wake.set()
        else:
            cached = self._retained.get(topic)
            if cached is not None:
                handler(cached)

        def unsubscribe() -> None:
            found = table.get(topic)
            if found is None or handler not in found:
                return
            found.remove(handler)
            if not found:
                del table[topic]
                self._retained.pop(topic, None)
                self._to_subscribe.discard(topic)
                # The broker keeps sending until the next connection; unhandled, it is dropped.

        return unsubscribe

    def _dispatch(self, message: Message) -> None:
        handlers = list(self._exact.get(message.topic, ()))
        for pattern, found in self._patterns.items():
            if aiomqtt.Topic(message.topic).matches(pattern):
                handlers.extend(found)
        if message.topic in self._exact:
            if message.retain and len(message.payload) <= MAX_RETAINED_CACHE:
                self._retained[message.topic] = message
            elif not message.payload:
                self._retained.pop(message.topic, None)
        for handler in handlers:
            try:
                handler(message)
            except Exception:
                _LOGGER.exception("Error handling an MQTT message on %s", shown(message.topic))

    # Publishing.

    async def publish(
        self, topic: str, payload: str, *, qos: int = 1, retain: bool = False
    ) -> None:
        """Publish and wait until the broker confirmed it; Unavailable otherwise.

        Commands go out with at least QoS 1, so "sent" means the broker has it.
        """
        client = self._client
        if client is None or self._lost.is_set():
            raise Unavailable("The MQTT broker is not connected; the command was not sent.")
        lost = asyncio.ensure_future(self._lost.wait())
        sent = asyncio.ensure_future(
            client.publish(
                topic,
                payload.encode("utf-8"),
                qos=max(qos, 1),
                retain=retain,
                timeout=const.MQTT_PUBLISH_TIMEOUT,
            )
        )
        try:
            done, _ = await asyncio.wait({lost, sent}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            lost.cancel()
        if sent not in done:
            sent.cancel()
            raise Unavailable(
                "The MQTT connection was lost before the broker confirmed the command."
            )
        try:
            sent.result()
        except aiomqtt.MqttError:
            raise Unavailable("The MQTT broker did not confirm the command.") from None

    # The connection.

    def _set_status(self, state: ConnectionState, detail: str = "", **changes: object) -> None:
        new = self.status.changed(state, detail, **changes)
        if new == self.status:
            return
        self.status = new
        self._on_status(new)

    def _make_client(self, address: str, context: TrackedContext | None) -> aiomqtt.Client:
        conf = self._conf
        properties = None
        if self._protocol is aiomqtt.ProtocolVersion.V5:
            properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            properties.MaximumPacketSize = const.MQTT_MAX_PACKET
        will = None
        if conf.will_message is not None:
            message = conf.will_message
            will = aiomqtt.Will(message.topic, message.payload, message.qos, message.retain)
        return aiomqtt.Client(
            address,
            conf.port,
            username=conf.username,
            password=conf.password,
            identifier=self.client_id,
            protocol=self._protocol,
            will=will,
            keepalive=conf.keepalive,
            timeout=const.MQTT_CONNECT_TIMEOUT,
            properties=properties,
            tls_context=context,
            max_queued_incoming_messages=const.MQTT_MAX_QUEUED,
            logger=attempt.PAHO_LOGGER,
        )

    async def run(self) -> None:
        """Connect, serve, and reconnect after any failure, until cancelled."""
        failures = 0
        try:
            while True:
                state, detail = await self._attempt()
                if state is ConnectionState.CONNECTED:
                    failures = 0  # it had connected; this is a fresh loss
                    state, detail = ConnectionState.DISCONNECTED, detail
                failures += 1
                delay = attempt.backoff(
                    failures, auth=state is ConnectionState.AUTH_FAILED, rng=self._rng
                )
                self._report_failure(state, detail, failures, delay)
                await asyncio.sleep(delay)
        finally:
            self._set_status(ConnectionState.STOPPED)

    def _report_failure(
        self, state: ConnectionState, detail: str, failures: int, delay: float
    ) -> None:
        """One log line when the state changes, never one per attempt."""
        if state is not self.status.state or detail != self.status.detail:
            serious = (
                ConnectionState.AUTH_FAILED,
                ConnectionState.TLS_FAILED,
                ConnectionState.REFUSED,
            )
            level = logging.ERROR if state in serious else logging.WARNING
            _LOGGER.log(
                level,
                "MQTT broker %s: %s; retrying in %.0f s, then less and less often",
                self.status.broker,
                detail,
                delay,
            )
        self._set_status(state, detail, failures=failures)

    async def _attempt(self) -> tuple[ConnectionState, str]:
        """One connection, served until it ends; how it ended."""
        if self.status.state is not ConnectionState.CONNECTED and self.status.failures == 0:
            self._set_status(ConnectionState.CONNECTING)
        context = self._context
        client: aiomqtt.Client | None = None
        try:
            address = await broker_address(self._conf, self._local_networks)
            client = self._make_client(address, context)
            await attempt.connect(client)
            try:
                await self._serve(client)
            finally:
                with contextlib.suppress(aiomqtt.MqttError):
                    await client.__aexit__(None, None, None)
        except PlaintextRefused as err:
            return ConnectionState.REFUSED, str(err)
        except MqttConnectError as err:
            return await self._refused(err)
        except aiomqtt.MqttError as err:
            return self._failed(str(err))
        except (OSError, TimeoutError) as err:
            return (
                ConnectionState.DISCONNECTED,
                f"cannot reach the broker ({str(err)[:200] or 'timeout'})",
            )
        finally:
            if client is not None:
                attempt.release(client)
            if context is not None:
                context.close_all()
        return ConnectionState.DISCONNECTED, "the connection was closed"

    async def _refused(self, err: MqttConnectError) -> tuple[ConnectionState, str]:
        """A negative CONNACK: an MQTT 3.1.1-only broker (try again with it), or a failure."""
        if attempt.wrong_protocol(err) and self._protocol is aiomqtt.ProtocolVersion.V5:
            _LOGGER.info("MQTT broker %s does not speak MQTT 5; using 3.1.1", self.status.broker)
            self._protocol = aiomqtt.ProtocolVersion.V311
            return await self._attempt()
        return attempt.refusal(err)

    def _failed(self, text: str) -> tuple[ConnectionState, str]:
        """A connection that failed or was lost."""
        failed = attempt.tls_failure(text)
        return failed if failed is not None else self._lost_state(text)

    def _lost_state(self, text: str) -> tuple[ConnectionState, str]:
        if self.status.state is ConnectionState.CONNECTED:
            return ConnectionState.CONNECTED, f"the connection was lost ({text[:200]})"
        return ConnectionState.DISCONNECTED, f"cannot reach the broker ({text[:200]})"

    async def _serve(self, client: aiomqtt.Client) -> None:
        """Subscribe everything, announce the hub, then handle messages until the end."""
        self._lost = asyncio.Event()
        self._client = client
        protocol = "5" if self._protocol is aiomqtt.ProtocolVersion.V5 else "3.1.1"
        try:
            self._to_subscribe = set(self._exact) | set(self._patterns)
            await self._subscribe_pending(client)
            if self._conf.birth_message is not None:
                birth = self._conf.birth_message
                await client.publish(birth.topic, birth.payload, birth.qos, birth.retain)
            kind = "TLS" if self._conf.tls else "no TLS"
            _LOGGER.info(
                "MQTT broker %s: connected (%s, MQTT %s)", self.status.broker, kind, protocol
            )
            self._set_status(ConnectionState.CONNECTED, protocol=protocol, failures=0)
            for callback in list(self.on_connected):
                callback()
            subscriber = asyncio.create_task(self._keep_subscribing(client))
            try:
                async for message in client.messages:
                    payload = message.payload
                    data = payload if isinstance(payload, bytes) else str(payload).encode()
                    self._dispatch(Message(message.topic.value, data, bool(message.retain)))
            finally:
                subscriber.cancel()
        finally:
            self._lost.set()
            self._client = None
            for callback in list(self.on_disconnected):
                callback()

    async def _keep_subscribing(self, client: aiomqtt.Client) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self._subscribe_pending(client)

    async def _subscribe_pending(self, client: aiomqtt.Client) -> None:
        while self._to_subscribe:
            batch = sorted(self._to_subscribe)[:SUBSCRIBE_BATCH]
            self._to_subscribe.difference_update(batch)
            await client.subscribe([(topic, 0) for topic in batch])

    def _version(self, message: Message) -> None:
        text = message.payload[:64].decode("utf-8", "replace")
        clean = "".join(char for char in text if char.isprintable())
        if clean and clean != self.status.broker_version:
            self._set_status(self.status.state, self.status.detail, broker_version=clean)
