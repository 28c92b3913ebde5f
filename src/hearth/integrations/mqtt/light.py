"""Discovered lights: the default schema (a topic per property) and the JSON schema.

Brightness travels on the device's scale (`brightness_scale`, 255 by default) and is 0..255 in
Hearth; colour temperature in mireds unless the device says kelvin; colour as RGB (`r,g,b` in
the default schema, `{"r", "g", "b"}` in JSON), or CIE xy / hue-saturation for devices whose
supported colour modes say so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import orjson

from hearth import const
from hearth.core.context import Context
from hearth.integrations.domains.light import (
    BRIGHTNESS,
    COLOR_TEMP,
    ONOFF,
    RGB,
    LightEntity,
    TurnOn,
)
from hearth.integrations.mqtt import color, inbound, schemas, templates
from hearth.integrations.mqtt.client import Message
from hearth.integrations.mqtt.entity import NO_VALUE, MqttEntity
from hearth.integrations.mqtt.inbound import Refused

MIREDS_PER_KELVIN: Final = 1_000_000
_COLOR_MODES: Final = {"rgb": RGB, "xy": RGB, "hs": RGB, "rgbw": RGB, "rgbww": RGB}


def _kelvin(value: float) -> int:
    return round(MIREDS_PER_KELVIN / value) if value > 0 else 0


def _number(value: Any) -> float | None:
    """A finite, sane number from a device value, or None (also for NO_VALUE)."""
    if isinstance(value, bool | templates.Missing | Mapping | list) or value is None:
        return None
    try:
        number = float(templates.as_text(value))
    except ValueError:
        return None
    return number if number == number and abs(number) < 1e9 else None  # NaN and absurd values


class _Light(MqttEntity, LightEntity):
    """What both schemas share: scaling brightness and colour temperature."""

    config: schemas.LightBase

    def configure(self) -> None:
        """The colour temperature range, in kelvin."""
        config = self.config
        if config.min_kelvin is not None and config.max_kelvin is not None:
            self.min_kelvin, self.max_kelvin = config.min_kelvin, config.max_kelvin
        elif config.max_mireds is not None and config.min_mireds is not None:
            self.min_kelvin, self.max_kelvin = (
                _kelvin(config.max_mireds),
                _kelvin(config.min_mireds),
            )

    def to_device(self, brightness: int) -> int:
        """0..255 to the device's scale (at least 1: 0 would be off)."""
        return max(1, round(brightness * self.config.brightness_scale / 255))

    def from_device(self, value: float) -> int:
        """The device's scale to 0..255."""
        return min(255, max(0, round(value * 255 / self.config.brightness_scale)))


class MqttLight(_Light):
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
        value = self.read(message, self.config.state_value_template)
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

    def _on_brightness(self, message: Message) -> None:
        number = _number(self.read(message, self.config.brightness_value_template))
        if number is None:
            return
        self.brightness = self.from_device(number)
        self.write()

    def _on_color_temp(self, message: Message) -> None:
        number = _number(self.read(message, self.config.color_temp_value_template))
        if number is None or number <= 0:
            return
        self.color_temp_kelvin = round(number) if self.config.color_temp_kelvin else _kelvin(number)
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
            value = kelvin if config.color_temp_kelvin else _kelvin(kelvin)
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


class MqttJsonLight(_Light):
    """`light` with `schema: json`, as Zigbee2MQTT sends its lights."""

    config: schemas.JsonLight
    _device_modes: tuple[str, ...] = ()

    def configure(self) -> None:
        """Colour modes from supported_color_modes (or the older flags)."""
        super().configure()
        config = self.config
        self._device_modes = tuple(config.supported_color_modes)
        modes: list[str] = []
        for mode in self._device_modes:
            mapped = _COLOR_MODES.get(
                mode, mode if mode in (ONOFF, BRIGHTNESS, COLOR_TEMP) else None
            )
            if mapped is not None and mapped not in modes:
                modes.append(mapped)
        if not modes:
            if config.color_temp:
                modes.append(COLOR_TEMP)
            if config.brightness and not modes:
                modes.append(BRIGHTNESS)
        if len(modes) > 1 and ONOFF in modes:
            modes.remove(ONOFF)
        if len(modes) > 1 and BRIGHTNESS in modes:
            modes.remove(BRIGHTNESS)  # colour modes imply brightness
        self.supported_color_modes = tuple(modes) or (ONOFF,)

    def subscribe_topics(self) -> None:
        """The state topic (one JSON object per state)."""
        if self.config.state_topic is not None:
            self.listen(self.config.state_topic, self._on_state)

    def _on_state(self, message: Message) -> None:
        try:
            data = inbound.json_value(message.payload, const.MQTT_MAX_MESSAGE, "MQTT message")
        except Refused as err:
            self.runtime.limiter.warning(message.topic, str(err))
            return
        if not isinstance(data, Mapping):
            self.runtime.limiter.warning(message.topic, "expected a JSON object")
            return
        state = data.get("state")
        if state == "ON":
            self.is_on = True
        elif state == "OFF":
            self.is_on = False
        elif state is not None:
            self.is_on = None
        brightness = _number(data.get("brightness"))
        if brightness is not None:
            self.brightness = self.from_device(brightness)
        self._read_color(data)
        self.write()

    def _read_color(self, data: Mapping[str, Any]) -> None:
        mode = data.get("color_mode")
        temperature = _number(data.get("color_temp"))
        if temperature is not None and temperature > 0:
            kelvin = round(temperature) if self.config.color_temp_kelvin else _kelvin(temperature)
            self.color_temp_kelvin = kelvin
        value = data.get("color")
        if isinstance(value, Mapping):
            rgb = self._rgb(value)
            if rgb is not None:
                self.rgb_color = rgb
        if mode == "color_temp":
            self.color_mode = COLOR_TEMP
        elif isinstance(mode, str) and mode in _COLOR_MODES:
            self.color_mode = RGB
        elif mode is None and temperature is not None and COLOR_TEMP in self.supported_color_modes:
            self.color_mode = COLOR_TEMP

    @staticmethod
    def _rgb(value: Mapping[str, Any]) -> tuple[int, int, int] | None:
        channels = [_number(value.get(key)) for key in ("r", "g", "b")]
        if all(channel is not None for channel in channels):
            red, green, blue = (min(255, max(0, round(float(c or 0)))) for c in channels)
            return (red, green, blue)
        x, y = _number(value.get("x")), _number(value.get("y"))
        if x is not None and y is not None and 0 <= x <= 1 and 0 < y <= 1:
            return color.xy_to_rgb(x, y)
        hue, saturation = _number(value.get("h")), _number(value.get("s"))
        if hue is not None and saturation is not None:
            return color.hs_to_rgb(hue, saturation)
        return None

    def _color_command(self, rgb: tuple[int, int, int]) -> dict[str, Any]:
        if "xy" in self._device_modes and "rgb" not in self._device_modes:
            x, y = color.rgb_to_xy(rgb)
            return {"x": x, "y": y}
        if "hs" in self._device_modes and "rgb" not in self._device_modes:
            hue, saturation = color.rgb_to_hs(rgb)
            return {"h": hue, "s": saturation}
        return {"r": rgb[0], "g": rgb[1], "b": rgb[2]}

    async def _publish(self, command: dict[str, Any]) -> None:
        await self.send(self.config.command_topic, orjson.dumps(command).decode())

    async def turn_on(self, context: Context, request: TurnOn | None = None) -> None:
        """{"state": "ON", "brightness": ..., "color_temp": ..., "color": {...}}."""
        request = request or TurnOn()
        command: dict[str, Any] = {"state": "ON"}
        optimistic = self.optimistic(self.config.state_topic is not None)
        if request.brightness is not None and self.supported_color_modes != (ONOFF,):
            command["brightness"] = self.to_device(request.brightness)
        if request.color_temp_kelvin is not None and COLOR_TEMP in self.supported_color_modes:
            kelvin = request.color_temp_kelvin
            command["color_temp"] = kelvin if self.config.color_temp_kelvin else _kelvin(kelvin)
        if request.rgb_color is not None and RGB in self.supported_color_modes:
            command["color"] = self._color_command(request.rgb_color)
        if request.transition is not None:
            command["transition"] = request.transition
        await self._publish(command)
        if optimistic:
            self.is_on = True
            if "brightness" in command and request.brightness is not None:
                self.brightness = request.brightness
            if "color_temp" in command:
                self.color_temp_kelvin, self.color_mode = request.color_temp_kelvin, COLOR_TEMP
            if "color" in command:
                self.rgb_color, self.color_mode = request.rgb_color, RGB
            self.write(context)

    async def turn_off(self, context: Context) -> None:
        """{"state": "OFF"}."""
        await self._publish({"state": "OFF"})
        if self.optimistic(self.config.state_topic is not None):
            self.is_on = False
            self.write(context)
