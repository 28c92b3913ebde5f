"""Discovered covers: open, close and stop payloads, a state and a position, each optional."""

from __future__ import annotations

from typing import Any

from hearth.core.context import Context
from hearth.exceptions import ServiceValidationError
from hearth.integrations.domains.cover import CoverEntity, CoverFeature
from hearth.integrations.mqtt import schemas, templates
from hearth.integrations.mqtt.client import Message
from hearth.integrations.mqtt.entity import NO_VALUE, MqttEntity


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
