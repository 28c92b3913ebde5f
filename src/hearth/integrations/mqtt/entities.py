"""Discovered switches, binary sensors, sensors, buttons, covers and locks."""

from __future__ import annotations

from typing import Any

from hearth.const import MAX_STATE_LENGTH
from hearth.core.context import Context
from hearth.exceptions import ServiceValidationError
from hearth.integrations.domains.binary_sensor import BinarySensorEntity
from hearth.integrations.domains.button import ButtonEntity
from hearth.integrations.domains.cover import CoverEntity, CoverFeature
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
        value = self.read(message, self.config.value_template)
        if value is NO_VALUE:
            return
        text = templates.as_text(value)
        config = self.config
        if text == (config.state_on if config.state_on is not None else config.payload_on):
            self.is_on = True
        elif text == (config.state_off if config.state_off is not None else config.payload_off):
            self.is_on = False
        else:
            self.runtime.limiter.warning(message.topic, "neither the on nor the off state")
            return
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
        value = self.read(message, self.config.value_template)
        if value is NO_VALUE:
            return
        text = templates.as_text(value)
        if text == self.config.payload_on:
            self.is_on = True
        elif text == self.config.payload_off:
            self.is_on = False
        else:
            self.runtime.limiter.warning(message.topic, "neither the on nor the off payload")
            return
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


class MqttCover(MqttEntity, CoverEntity):
    """`cover`: open / close / stop payloads, a state and a position, each optional."""

    config: schemas.Cover

    def configure(self) -> None:
        """The features follow from the topics and payloads the device gave."""
        config = self.config
        features = CoverFeature(0)
        if config.command_topic is not None:
            if config.payload_open is not None:
                features |= CoverFeature.OPEN
            if config.payload_close is not None:
                features |= CoverFeature.CLOSE
            if config.payload_stop is not None:
                features |= CoverFeature.STOP
        if config.set_position_topic is not None:
            features |= CoverFeature.SET_POSITION
        self.features = features

    def subscribe_topics(self) -> None:
        """State and position topics."""
        if self.config.state_topic is not None:
            self.listen(self.config.state_topic, self._on_state)
        if self.config.position_topic is not None:
            self.listen(self.config.position_topic, self._on_position)

    def _on_state(self, message: Message) -> None:
        config = self.config
        value = self.read(message, config.value_template)
        if value is NO_VALUE:
            return
        states = {
            config.state_open: "open",
            config.state_opening: "opening",
            config.state_closed: "closed",
            config.state_closing: "closing",
            config.state_stopped: "stopped",
        }
        state = states.get(templates.as_text(value))
        if state is None:
            self.runtime.limiter.warning(message.topic, "not one of the cover's states")
            return
        self.cover_state = state
        self.write()

    def _scaled(self, raw: Any) -> int | None:
        config = self.config
        try:
            number = float(templates.as_text(raw))
        except ValueError:
            return None
        span = config.position_open - config.position_closed
        if span == 0:
            return None
        percent = round((number - config.position_closed) * 100 / span)
        return min(100, max(0, percent))

    def _on_position(self, message: Message) -> None:
        value = self.read(message, self.config.position_template)
        if value is NO_VALUE:
            return
        position = self._scaled(value)
        if position is None:
            self.runtime.limiter.warning(message.topic, "the position is not a number")
            return
        self.position = position
        if self.config.state_topic is None:
            self.cover_state = "closed" if position == 0 else "open"
        self.write()

    def _optimistic(self) -> bool:
        config = self.config
        return self.optimistic(config.state_topic is not None or config.position_topic is not None)

    async def _command(self, payload: str | None, state: str, context: Context) -> None:
        if payload is None:
            raise ServiceValidationError(f"entity_id: {self.entity_id} does not support this")
        await self.send(self.config.command_topic, payload)
        if self._optimistic():
            self.cover_state = state
            self.write(context)

    async def open_cover(self, context: Context) -> None:
        """Send payload_open."""
        await self._command(self.config.payload_open, "open", context)

    async def close_cover(self, context: Context) -> None:
        """Send payload_close."""
        await self._command(self.config.payload_close, "closed", context)

    async def stop_cover(self, context: Context) -> None:
        """Send payload_stop."""
        await self._command(self.config.payload_stop, "stopped", context)

    async def set_position(self, position: int, context: Context) -> None:
        """Send the position, scaled to the device's range, to set_position_topic."""
        config = self.config
        device = round(
            config.position_closed
            + position * (config.position_open - config.position_closed) / 100
        )
        await self.send(
            config.set_position_topic,
            str(device),
            config.set_position_template,
            {"position": device},
        )
        if self._optimistic():
            self.position = position
            self.cover_state = "closed" if position == 0 else "open"
            self.write(context)
