"""Home Assistant's MQTT discovery: `<prefix>/<component>/[<node_id>/]<object_id>/config`.

A retained JSON payload there creates an entity, a new payload on the same topic updates it,
an empty one removes it. Each payload is untrusted input: bounded (hearth.integrations.mqtt
.inbound), validated against its component's schema, and it can only ever create or change
entities of the MQTT integration itself, in the domains listed here.

Threat: a device that may publish discovery could try to take over another device's entity by
reusing its unique id, or make the hub publish into the discovery tree by naming a command
topic there. Both are refused with a log line.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from pydantic import ValidationError

from hearth import const
from hearth.core.validation import describe_validation_error
from hearth.integrations.entity import Entity
from hearth.integrations.mqtt import schemas
from hearth.integrations.mqtt.abbreviations import expand
from hearth.integrations.mqtt.client import Message
from hearth.integrations.mqtt.cover import MqttCover
from hearth.integrations.mqtt.entities import (
    MqttBinarySensor,
    MqttButton,
    MqttLock,
    MqttSensor,
    MqttSwitch,
)
from hearth.integrations.mqtt.entity import MqttEntity, Runtime
from hearth.integrations.mqtt.inbound import Refused, json_value, shown
from hearth.integrations.mqtt.light import MqttLight
from hearth.integrations.mqtt.light_json import MqttJsonLight

_LOGGER = logging.getLogger("hearth.integrations.mqtt")

_ID: Final = re.compile(r"[A-Za-z0-9_-]{1,128}")
# Keys every payload may carry that Hearth reads nowhere: not worth a line in the log.
_QUIET: Final = frozenset({"origin", "platform"})
MAX_LOGGED_KEYS: Final = 512

ENTITY_CLASSES: Final[dict[type[schemas.Common], type[MqttEntity]]] = {
    schemas.Switch: MqttSwitch,
    schemas.BinarySensor: MqttBinarySensor,
    schemas.Sensor: MqttSensor,
    schemas.Button: MqttButton,
    schemas.Cover: MqttCover,
    schemas.Lock: MqttLock,
    schemas.DefaultLight: MqttLight,
    schemas.JsonLight: MqttJsonLight,
}
SUPPORTED: Final = frozenset({"light", *schemas.COMPONENTS})


@dataclass(frozen=True, slots=True)
class DiscoveryTopic:
    """The parts of a discovery topic."""

    component: str
    node_id: str | None
    object_id: str


def parse_topic(topic: str, prefix: str) -> DiscoveryTopic | None:
    """The parts of `topic`, or None if it is not a well-formed discovery topic."""
    head = prefix + "/"
    if not topic.startswith(head) or not topic.endswith("/config"):
        return None
    parts = topic[len(head) : -len("/config")].split("/")
    if len(parts) == 2:
        component, node_id, object_id = parts[0], None, parts[1]
    elif len(parts) == 3:
        component, node_id, object_id = parts
    else:
        return None
    ids = [object_id] if node_id is None else [node_id, object_id]
    if not all(_ID.fullmatch(part) for part in ids) or not _ID.fullmatch(component):
        return None
    return DiscoveryTopic(component, node_id, object_id)


class Discovery:
    """The entities made from discovery payloads, by discovery topic."""

    def __init__(self, runtime: Runtime, prefix: str) -> None:
        self.runtime = runtime
        self.prefix = prefix
        self.entities: dict[str, MqttEntity] = {}
        self._payloads: dict[str, bytes] = {}  # digests of the payloads in use, by topic
        self._logged_keys: set[tuple[str, str]] = set()
        # Registry writes are awaited: messages wait here and one task applies them in order.
        self._queue: deque[Message] = deque()
        self._worker: asyncio.Task[None] | None = None

    def topics(self) -> tuple[str, str]:
        """The subscriptions that receive every discovery payload."""
        return (f"{self.prefix}/+/+/config", f"{self.prefix}/+/+/+/config")

    def handle(self, message: Message) -> None:
        """Queue one message on a discovery topic; they are applied in the order received."""
        if len(message.payload) > const.MQTT_MAX_DISCOVERY:
            self.runtime.limiter.warning(
                message.topic,
                f"discovery payload refused: {len(message.payload)} bytes, more than the "
                f"{const.MQTT_MAX_DISCOVERY} allowed",
            )
            return
        if len(self._queue) >= const.MQTT_MAX_QUEUED:
            self.runtime.limiter.warning(message.topic, "too many discovery messages waiting")
            return
        self._queue.append(message)
        if self._worker is None or self._worker.done():
            self._worker = self.runtime.platform.hub.create_task(
                self._work(), name="mqtt discovery"
            )

    async def _work(self) -> None:
        while self._queue:
            message = self._queue.popleft()
            try:
                await self.process(message)
            except Exception:
                # One payload's unexpected failure must not stop the discovery of the others.
                _LOGGER.exception("MQTT discovery: %s could not be applied", shown(message.topic))

    def idle(self) -> bool:
        """True when every received discovery message has been applied."""
        return not self._queue and (self._worker is None or self._worker.done())

    async def process(self, message: Message) -> None:
        """Apply one message on a discovery topic."""
        limiter = self.runtime.limiter
        parsed = parse_topic(message.topic, self.prefix)
        if parsed is None:
            limiter.warning(
                message.topic, "not a discovery topic (<component>/[<node>/]<id>/config)"
            )
            return
        if not message.payload:
            await self._remove(message.topic)
            return
        digest = hashlib.sha256(message.payload).digest()
        if digest == self._payloads.get(message.topic):
            return  # the same payload again (retained, after a reconnect): nothing changes
        if parsed.component not in SUPPORTED:
            limiter.warning(message.topic, f"the component {parsed.component!r} is not supported")
            return
        try:
            config = self._validate(parsed.component, message)
        except Refused as err:
            limiter.warning(message.topic, f"discovery payload refused: {err}")
            return
        await self._apply(message.topic, parsed.component, config)
        self._payloads[message.topic] = digest

    def _validate(self, component: str, message: Message) -> schemas.Common:
        raw = json_value(message.payload, const.MQTT_MAX_DISCOVERY, "discovery payload")
        if not isinstance(raw, Mapping):
            raise Refused("expected a JSON object")
        data = expand(raw)
        model = schemas.model_for(component, data)
        if model is None:
            raise Refused(f"the component {component!r} is not supported")
        self._log_unknown(component, message.topic, data, model)
        try:
            config = model.model_validate(data)
        except ValidationError as err:
            raise Refused(describe_validation_error(model, err)) from None
        for key, value in config:
            publishes = key.endswith("command_topic") or key == "set_position_topic"
            if (
                publishes
                and isinstance(value, str)
                and (value == self.prefix or value.startswith(self.prefix + "/"))
            ):
                raise Refused(f"{key}: a command topic must not be under {self.prefix}/")
        return config

    def _log_unknown(
        self, component: str, topic: str, data: Mapping[str, Any], model: type[schemas.Common]
    ) -> None:
        """Each unknown key is logged once per component, then ignored silently."""
        known = schemas.known_keys(model) | _QUIET
        for key in data:
            if key in known or (component, key) in self._logged_keys:
                continue
            if len(self._logged_keys) >= MAX_LOGGED_KEYS:
                return
            self._logged_keys.add((component, key))
            _LOGGER.info(
                "MQTT discovery: the %s key %r is not supported and is ignored (first seen on %s)",
                component,
                shown(str(key)),
                shown(topic),
            )

    async def _apply(self, topic: str, component: str, config: schemas.Common) -> None:
        runtime = self.runtime
        existing = self.entities.get(topic)
        entity_class = ENTITY_CLASSES[type(config)]
        if existing is not None:
            if type(existing) is entity_class and existing.unique_id == config.unique_id:
                await existing.reconfigure(config)
                _LOGGER.info("MQTT discovery: updated %s from %s", existing.entity_id, shown(topic))
                return
            await self._remove(topic)
        if config.unique_id is not None:
            for other_topic, other in self.entities.items():
                if other.unique_id == config.unique_id and other.domain == entity_class.domain:
                    runtime.limiter.warning(
                        topic, f"discovery payload refused: its unique_id is already used by "
                        f"{other.entity_id} (discovered on {shown(other_topic)})"
                    )  # fmt: skip
                    return
        if not config.enabled_by_default:
            _LOGGER.debug("MQTT discovery: %s is disabled by default; not added", shown(topic))
            return
        if len(self.entities) >= const.MQTT_MAX_ENTITIES:
            runtime.limiter.warning(
                topic, f"discovery payload refused: already {const.MQTT_MAX_ENTITIES} entities"
            )
            return
        if not self._device_allowed(config):
            runtime.limiter.warning(
                topic, f"discovery payload refused: already {const.MQTT_MAX_DEVICES} devices"
            )
            return
        entity = entity_class(runtime, config, topic)
        await runtime.platform.add([entity])
        self.entities[topic] = entity
        _LOGGER.info("MQTT discovery: added %s from %s", entity.entity_id, shown(topic))

    def _device_allowed(self, config: schemas.Common) -> bool:
        device = config.device
        if device is None or not (device.identifiers or device.connections):
            return True
        devices = self.runtime.platform.hub.registries.devices
        if devices.find([("mqtt", ident) for ident in device.identifiers], device.connections):
            return True
        ours = {entity.device_id for entity in self.entities.values() if entity.device_id}
        return len(ours) < const.MQTT_MAX_DEVICES

    async def _remove(self, topic: str) -> None:
        self._payloads.pop(topic, None)
        entity: Entity | None = self.entities.pop(topic, None)
        if entity is None:
            return
        entity_id = entity.entity_id
        await self.runtime.platform.remove(entity, forget=True)
        _LOGGER.info("MQTT discovery: removed %s (empty payload on %s)", entity_id, shown(topic))
