"""Discovered switches, binary sensors, sensors, buttons, covers and locks."""

from __future__ import annotations

from hearth.const import MAX_STATE_LENGTH
from hearth.core.context import Context
from hearth.integrations.domains.binary_sensor import BinarySensorEntity
from hearth.integrations.domains.button import ButtonEntity
from hearth.integrations.domains.lock import LockEntity, LockFeature
from hearth.integrations.domains.sensor import SensorEntity
from hearth.integrations.domains.switch import SwitchEntity
from hearth.integrations.mqtt import schemas, templates
from hearth.integrations.mqtt.client import Message
from hearth.integrations.mqtt.entity import NO_VALUE, MqttEntity


class MqttSwitch(MqttEntity, SwitchEntity):
    """`switch`: payload_on / payload_off on command_topic; state_on / state_off reported."""

    config: schemas.Switch

    def subscribe_topics(self) -> None:
        """The state topic, if any."""
        if self.config.state_topic is not None:
            self.listen(self.config.state_topic, self._on_state)

    def _on_state(self, message: Message) -> None:
        config = self.config
        on = config.state_on if config.state_on is not None else config.payload_on
        off = config.state_off if config.state_off is not None else config.payload_off
        is_on = self.read_on_off(message, config.value_template, on, off, "state")
        if is_on is not None:
            self.is_on = is_on
            self.write()

    async def _command(self, on: bool, context: Context) -> None:
        config = self.config
        payload = config.payload_on if on else config.payload_off
        await self.send(config.command_topic, payload, config.command_template)
        if self.optimistic(config.state_topic is not None):
            self.is_on = on
            self.write(context)

    async def turn_on(self, context: Context) -> None:
        """Send payload_on."""
        await self._command(True, context)

    async def turn_off(self, context: Context) -> None:
        """Send payload_off."""
        await self._command(False, context)


class MqttBinarySensor(MqttEntity, BinarySensorEntity):
    """`binary_sensor`: payload_on / payload_off on state_topic."""

    config: schemas.BinarySensor

    def subscribe_topics(self) -> None:
        """The state topic."""
        self.listen(self.config.state_topic, self._on_state)

    def _on_state(self, message: Message) -> None:
        config = self.config
        is_on = self.read_on_off(
            message, config.value_template, config.payload_on, config.payload_off, "payload"
        )
        if is_on is not None:
            self.is_on = is_on
            self.write()


class MqttSensor(MqttEntity, SensorEntity):
    """`sensor`: the (templated) value of state_topic, at most 255 characters."""

    config: schemas.Sensor

    def configure(self) -> None:
        """Unit and state class."""
        self.unit_of_measurement = self.config.unit_of_measurement
        self.state_class = self.config.state_class

    def subscribe_topics(self) -> None:
        """The state topic."""
        self.listen(self.config.state_topic, self._on_state)

    def _on_state(self, message: Message) -> None:
        value = self.read(message, self.config.value_template)
        if value is NO_VALUE:
            return
        text = templates.as_text(value)
        if len(text) > MAX_STATE_LENGTH or not text.isprintable():
            self.runtime.limiter.warning(
                message.topic, f"a value must be printable and at most {MAX_STATE_LENGTH} long"
            )
            return
        self.value = text
        hub = self.hub
        if hub is None:
            return
        if self.config.force_update:
            attributes = hub.registries.entities.apply(self.entity_id, self.attributes())
            hub.states.set(self.entity_id, text, attributes, force_update=True)
        else:
            self.write()


class MqttButton(MqttEntity, ButtonEntity):
    """`button`: payload_press on command_topic."""

    config: schemas.Button

    async def press(self, context: Context) -> None:
        """Send payload_press."""
        config = self.config
        await self.send(config.command_topic, config.payload_press, config.command_template)


class MqttLock(MqttEntity, LockEntity):
    """`lock`: payload_lock / payload_unlock / payload_open; state_locked ... reported."""

    config: schemas.Lock

    def configure(self) -> None:
        """Open is supported when the device has a payload for it."""
        self.features = LockFeature.OPEN if self.config.payload_open is not None else LockFeature(0)

    def subscribe_topics(self) -> None:
        """The state topic, if any."""
        if self.config.state_topic is not None:
            self.listen(self.config.state_topic, self._on_state)

    def _states(self) -> dict[str, str]:
        config = self.config
        return {
            config.state_locked: "locked",
            config.state_unlocked: "unlocked",
            config.state_locking: "locking",
            config.state_unlocking: "unlocking",
            config.state_jammed: "jammed",
            config.state_open: "open",
            config.state_opening: "opening",
        }

    def _on_state(self, message: Message) -> None:
        value = self.read(message, self.config.value_template)
        if value is NO_VALUE:
            return
        state = self._states().get(templates.as_text(value))
        if state is None:
            self.runtime.limiter.warning(message.topic, "not one of the lock's states")
            return
        self.lock_state = state
        self.write()

    async def _command(self, payload: str | None, state: str, context: Context) -> None:
        if payload is None:
            await super().open(context)  # refuses: the lock cannot be opened
            return
        config = self.config
        await self.send(config.command_topic, payload, config.command_template)
        if self.optimistic(config.state_topic is not None):
            self.lock_state = state
            self.write(context)

    async def lock(self, context: Context) -> None:
        """Send payload_lock."""
        await self._command(self.config.payload_lock, "locked", context)

    async def unlock(self, context: Context) -> None:
        """Send payload_unlock."""
        await self._command(self.config.payload_unlock, "unlocked", context)

    async def open(self, context: Context) -> None:
        """Send payload_open, for locks that have one."""
        await self._command(self.config.payload_open, "open", context)
