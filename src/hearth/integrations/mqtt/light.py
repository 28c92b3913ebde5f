"""Discovered lights: the default schema (a topic per property) and the JSON schema.

Brightness travels on the device's scale (`brightness_scale`, 255 by default) and is 0..255 in
Hearth; colour temperature in mireds unless the device says kelvin; colour as RGB (`r,g,b` in
the default schema, `{"r", "g", "b"}` in JSON), or CIE xy / hue-saturation for devices whose
supported colour modes say so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from hearth.core.context import Context
from hearth.integrations.domains.light import (
    BRIGHTNESS,
    COLOR_TEMP,
    ONOFF,
    RGB,
    LightEntity,
    TurnOn,
)
from hearth.integrations.mqtt import schemas, templates
from hearth.integrations.mqtt.client import Message
from hearth.integrations.mqtt.entity import NO_VALUE, MqttEntity

MIREDS_PER_KELVIN: Final = 1_000_000


def to_kelvin(value: float) -> int:
    return round(MIREDS_PER_KELVIN / value) if value > 0 else 0


def device_number(value: Any) -> float | None:
    """A finite, sane number from a device value, or None (also for NO_VALUE)."""
    if isinstance(value, bool | templates.Missing | Mapping | list) or value is None:
        return None
    try:
        number = float(templates.as_text(value))
    except ValueError:
        return None
    return number if number == number and abs(number) < 1e9 else None  # NaN and absurd values


class MqttLightBase(MqttEntity, LightEntity):
    """What both schemas share: scaling brightness and colour temperature."""

    config: schemas.LightBase

    def configure(self) -> None:
        """The colour temperature range, in kelvin."""
        config = self.config
        if config.min_kelvin is not None and config.max_kelvin is not None:
            self.min_kelvin, self.max_kelvin = config.min_kelvin, config.max_kelvin
        elif config.max_mireds is not None and config.min_mireds is not None:
            self.min_kelvin, self.max_kelvin = (
                to_kelvin(config.max_mireds),
                to_kelvin(config.min_mireds),
            )

    def to_device(self, brightness: int) -> int:
        """0..255 to the device's scale (at least 1: 0 would be off)."""
        return max(1, round(brightness * self.config.brightness_scale / 255))

    def from_device(self, value: float) -> int:
        """The device's scale to 0..255."""
        return min(255, max(0, round(value * 255 / self.config.brightness_scale)))


class MqttLight(MqttLightBase):
    """`light`, default schema."""

    config: schemas.DefaultLight

    def configure(self) -> None:
        """Colour modes from the command topics the device has."""
        super().configure()
        config = self.config
        modes = []
        if config.rgb_command_topic is not None:
            modes.append(RGB)
        if config.color_temp_command_topic is not None:
            modes.append(COLOR_TEMP)
        if not modes:
            modes.append(BRIGHTNESS if config.brightness_command_topic is not None else ONOFF)
        self.supported_color_modes = tuple(modes)

    def subscribe_topics(self) -> None:
        """The state topic and each property's."""
        config = self.config
        for topic, handler in (
            (config.state_topic, self._on_state),
            (config.brightness_state_topic, self._on_brightness),
            (config.color_temp_state_topic, self._on_color_temp),
            (config.rgb_state_topic, self._on_rgb),
        ):
            if topic is not None:
                self.listen(topic, handler)

    def _on_state(self, message: Message) -> None:
        config = self.config
        is_on = self.read_on_off(
            message, config.state_value_template, config.payload_on, config.payload_off, "payload"
        )
        if is_on is not None:
            self.is_on = is_on
            self.write()

    def _on_brightness(self, message: Message) -> None:
        number = device_number(self.read(message, self.config.brightness_value_template))
        if number is None:
            return
        self.brightness = self.from_device(number)
        self.write()

    def _on_color_temp(self, message: Message) -> None:
        number = device_number(self.read(message, self.config.color_temp_value_template))
        if number is None or number <= 0:
            return
        self.color_temp_kelvin = (
            round(number) if self.config.color_temp_kelvin else to_kelvin(number)
        )
        self.color_mode = COLOR_TEMP
        self.write()

    def _on_rgb(self, message: Message) -> None:
        value = self.read(message, self.config.rgb_value_template)
        if value is NO_VALUE:
            return
        parts = templates.as_text(value).split(",")
        try:
            rgb = tuple(min(255, max(0, int(part.strip()))) for part in parts)
        except ValueError:
            rgb = ()
        if len(rgb) != 3:
            self.runtime.limiter.warning(message.topic, "expected r,g,b")
            return
        self.rgb_color = (rgb[0], rgb[1], rgb[2])
        self.color_mode = RGB
        self.write()

    async def turn_on(self, context: Context, request: TurnOn | None = None) -> None:
        """The properties asked for, and payload_on (first, last, or not: on_command_type)."""
        config = self.config
        request = request or TurnOn()
        if config.on_command_type == "first":
            await self.send(config.command_topic, config.payload_on)
        brightness = request.brightness
        if brightness is None and config.on_command_type == "brightness":
            brightness = self.brightness or 255
        if brightness is not None and config.brightness_command_topic is not None:
            device = self.to_device(brightness)
            await self.send(
                config.brightness_command_topic, str(device), config.brightness_command_template
            )
            if self.optimistic(config.brightness_state_topic is not None):
                self.brightness = brightness
        kelvin = request.color_temp_kelvin
        if kelvin is not None and config.color_temp_command_topic is not None:
            value = kelvin if config.color_temp_kelvin else to_kelvin(kelvin)
            await self.send(
                config.color_temp_command_topic, str(value), config.color_temp_command_template
            )
            if self.optimistic(config.color_temp_state_topic is not None):
                self.color_temp_kelvin, self.color_mode = kelvin, COLOR_TEMP
        rgb = request.rgb_color
        if rgb is not None and config.rgb_command_topic is not None:
            red, green, blue = rgb
            await self.send(
                config.rgb_command_topic,
                f"{red},{green},{blue}",
                config.rgb_command_template,
                {"red": red, "green": green, "blue": blue},
            )
            if self.optimistic(config.rgb_state_topic is not None):
                self.rgb_color, self.color_mode = rgb, RGB
        if config.on_command_type == "last" or (
            config.on_command_type == "brightness" and config.brightness_command_topic is None
        ):
            await self.send(config.command_topic, config.payload_on)
        if self.optimistic(config.state_topic is not None):
            self.is_on = True
        self.write(context)

    async def turn_off(self, context: Context) -> None:
        """payload_off."""
        await self.send(self.config.command_topic, self.config.payload_off)
        if self.optimistic(self.config.state_topic is not None):
            self.is_on = False
            self.write(context)
