"""Discovered lights with `schema: json`: one JSON object per command and per state.

Zigbee2MQTT sends its lights this way; a device whose supported colour modes are CIE `xy` or
`hs` gets its colour converted from and to Hearth's RGB.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import orjson

from hearth import const
from hearth.core.context import Context
from hearth.integrations.domains.light import BRIGHTNESS, COLOR_TEMP, ONOFF, RGB, TurnOn
from hearth.integrations.mqtt import color, inbound, schemas
from hearth.integrations.mqtt.client import Message
from hearth.integrations.mqtt.inbound import Refused
from hearth.integrations.mqtt.light import MqttLightBase, device_number, to_kelvin

_COLOR_MODES: Final = {"rgb": RGB, "xy": RGB, "hs": RGB, "rgbw": RGB, "rgbww": RGB}


class MqttJsonLight(MqttLightBase):
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
        brightness = device_number(data.get("brightness"))
        if brightness is not None:
            self.brightness = self.from_device(brightness)
        self._read_color(data)
        self.write()

    def _read_color(self, data: Mapping[str, Any]) -> None:
        mode = data.get("color_mode")
        temperature = device_number(data.get("color_temp"))
        if temperature is not None and temperature > 0:
            kelvin = round(temperature) if self.config.color_temp_kelvin else to_kelvin(temperature)
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
        channels = [device_number(value.get(key)) for key in ("r", "g", "b")]
        if all(channel is not None for channel in channels):
            red, green, blue = (min(255, max(0, round(float(c or 0)))) for c in channels)
            return (red, green, blue)
        x, y = device_number(value.get("x")), device_number(value.get("y"))
        if x is not None and y is not None and 0 <= x <= 1 and 0 < y <= 1:
            return color.xy_to_rgb(x, y)
        hue, saturation = device_number(value.get("h")), device_number(value.get("s"))
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
            command["color_temp"] = kelvin if self.config.color_temp_kelvin else to_kelvin(kelvin)
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
