"""What every discovered entity shares: availability, subscriptions, reading values, commands.

An entity is available while the hub is connected to the broker and its availability topics
(if it has any) say so. Values from state topics go through the entity's template (Hearth's
subset) and are bounded; a message that cannot be used is dropped with a rate-limited log line
and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from hearth import const
from hearth.exceptions import ServiceValidationError
from hearth.integrations.entity import DeviceInfo, Entity
from hearth.integrations.mqtt import inbound, templates
from hearth.integrations.mqtt.client import Message, MqttClient
from hearth.integrations.mqtt.inbound import LogLimiter, Refused
from hearth.integrations.mqtt.schemas import Availability, Common, Device
from hearth.integrations.mqtt.templates import MISSING, Template

if TYPE_CHECKING:
    from hearth.integrations.platform import EntityPlatform

DOMAIN: Final = "mqtt"
NO_VALUE: Final = MISSING


@dataclass(slots=True)
class Runtime:
    """What the entities of one MQTT integration share."""

    client: MqttClient
    platform: EntityPlatform
    limiter: LogLimiter


def device_info(device: Device | None) -> DeviceInfo | None:
    """The registry's DeviceInfo for a discovery `device` (identifiers become ("mqtt", id))."""
    if device is None or not (device.identifiers or device.connections):
        return None
    return DeviceInfo(
        identifiers=tuple((DOMAIN, identifier) for identifier in device.identifiers),
        connections=tuple((kind, address) for kind, address in device.connections),
        name=device.name,
        manufacturer=device.manufacturer,
        model=device.model,
        model_id=device.model_id,
        sw_version=device.sw_version,
        hw_version=device.hw_version,
        serial_number=device.serial_number,
        configuration_url=device.configuration_url,
        via_device=(DOMAIN, device.via_device) if device.via_device is not None else None,
    )


def friendly_name(config: Common, component: str) -> str:
    """The name people see: the entity's, prefixed by its device's, as Home Assistant does."""
    device_name = config.device.name if config.device is not None else None
    if config.name and device_name and not config.name.startswith(device_name):
        return f"{device_name} {config.name}"
    return config.name or device_name or f"MQTT {component.replace('_', ' ')}"


def suggested_object_id(config: Common, component: str) -> str | None:
    """`default_entity_id` (its part after the dot, when the domain matches) or `object_id`."""
    if config.default_entity_id:
        domain, dot, rest = config.default_entity_id.partition(".")
        if dot and domain == component:
            return rest
        if not dot:
            return config.default_entity_id
    return config.object_id


class MqttEntity(Entity):
    """Mixed into each domain's entity class (MqttSwitch(MqttEntity, SwitchEntity))."""

    def __init__(self, runtime: Runtime, config: Common, discovery_topic: str) -> None:
        self.runtime = runtime
        self.config = config
        self.discovery_topic = discovery_topic
        self._unsubscribes: list[Callable[[], None]] = []
        self._availability: dict[str, bool | None] = {}
        self._latest: bool | None = None
        super().__init__(
            unique_id=config.unique_id,
            name=friendly_name(config, self.domain),
            icon=config.icon,
            device_class=config.device_class,
            entity_category=config.entity_category,
            device_info=device_info(config.device),
            object_id=suggested_object_id(config, self.domain),
        )
        self.configure()

    # Subclasses.

    def configure(self) -> None:
        """Read `self.config` into the entity's own settings (called again on updates)."""

    def subscribe_topics(self) -> None:
        """Subscribe to the entity's state topics with `self.listen`."""

    # Availability.

    def _availability_entries(self) -> list[Availability]:
        config = self.config
        entries = list(config.availability)
        if config.availability_topic is not None:
            entries.append(
                Availability(
                    topic=config.availability_topic,
                    payload_available=config.payload_available,
                    payload_not_available=config.payload_not_available,
                    value_template=config.availability_template,
                )
            )
        return entries

    @property
    def available(self) -> bool:
        """Connected, and the availability topics (if any) say online."""
        if not self.runtime.client.connected:
            return False
        if not self._availability:
            return True
        mode = self.config.availability_mode
        if mode == "all":
            return all(value is True for value in self._availability.values())
        if mode == "any":
            return any(value is True for value in self._availability.values())
        return self._latest is True

    def _on_availability(self, entry: Availability) -> Callable[[Message], None]:
        def handle(message: Message) -> None:
            value = self.read(message, entry.value_template)
            if value is NO_VALUE:
                return
            text = templates.as_text(value)
            if text == entry.payload_available:
                online = True
            elif text == entry.payload_not_available:
                online = False
            else:
                return
            self._availability[entry.topic] = online
            self._latest = online
            self.write()

        return handle

    # Subscriptions and values.

    def listen(self, topic: str, handler: Callable[[Message], None]) -> None:
        """Subscribe while the entity is on the hub."""
        self._unsubscribes.append(self.runtime.client.subscribe(topic, handler))

    def read(self, message: Message, template: Template | None) -> Any:
        """The value of a message (through `template`), or NO_VALUE after a log line."""
        limiter = self.runtime.limiter
        try:
            if template is None:
                return inbound.text(message.payload, const.MQTT_MAX_MESSAGE)
            variables: dict[str, Any] = {
                "value": inbound.text(message.payload, const.MQTT_MAX_MESSAGE)
            }
            if any(
                isinstance(part, templates.Expression) and part.root == "value_json"
                for part in template.parts
            ):
                variables["value_json"] = inbound.json_value(
                    message.payload, const.MQTT_MAX_MESSAGE, "MQTT message"
                )
            return template.evaluate(variables)
        except (Refused, templates.TemplateError) as err:
            limiter.warning(message.topic, str(err))
            return NO_VALUE

    def read_on_off(
        self, message: Message, template: Template | None, on: str, off: str, what: str
    ) -> bool | None:
        """True for the `on` text, False for `off`; None (after a log line) for anything else."""
        value = self.read(message, template)
        if value is NO_VALUE:
            return None
        text = templates.as_text(value)
        if text == on:
            return True
        if text == off:
            return False
        self.runtime.limiter.warning(message.topic, f"neither the on nor the off {what}")
        return None

    def on_added(self) -> None:
        """Subscribe to availability and state topics."""
        self._availability = {}
        self._latest = None
        for entry in self._availability_entries():
            self._availability[entry.topic] = None
            self.listen(entry.topic, self._on_availability(entry))
        self.subscribe_topics()

    def on_removed(self) -> None:
        """Drop every subscription."""
        while self._unsubscribes:
            self._unsubscribes.pop()()

    async def reconfigure(self, config: Common) -> None:
        """Take an updated discovery payload for the same entity."""
        self.on_removed()
        self.config = config
        self.name = friendly_name(config, self.domain)
        self.icon = config.icon
        self.device_class = config.device_class
        self.entity_category = config.entity_category
        self.device_info = device_info(config.device)
        self.configure()
        await self.runtime.platform.refresh(self)
        self.on_added()

    # Commands.

    async def send(
        self,
        topic: str | None,
        payload: str,
        template: Template | None = None,
        variables: dict[str, Any] | None = None,
    ) -> None:
        """Publish a command (through `template`, if any); Unavailable if it was not sent."""
        if topic is None:
            raise ServiceValidationError(f"entity_id: {self.entity_id} takes no commands")
        if template is not None:
            rendered = template.render({"value": payload, **(variables or {})})
            if rendered is MISSING or not isinstance(rendered, str):
                raise ServiceValidationError(
                    f"entity_id: {self.entity_id}: its command template needs a value it was "
                    "not given"
                )
            payload = rendered
        await self.runtime.client.publish(
            topic, payload, qos=self.config.qos, retain=self.config.retain
        )

    def optimistic(self, has_state_topic: bool) -> bool:
        """Whether a command sets the state at once (the device will not report it)."""
        if self.config.optimistic is not None:
            return self.config.optimistic
        return not has_state_topic
