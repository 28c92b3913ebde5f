"""Lights: on/off, brightness, colour temperature and RGB colour, in Home Assistant's shape."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from hearth.core.context import Context
from hearth.integrations.domains import DomainSpec, EntityService
from hearth.integrations.domains.schemas import LightTurnOnData, TargetData
from hearth.integrations.domains.toggle import TOGGLE, TOGGLE_OFF, ToggleEntity

ONOFF: Final = "onoff"
BRIGHTNESS: Final = "brightness"
COLOR_TEMP: Final = "color_temp"
RGB: Final = "rgb"
COLOR_MODES: Final = (ONOFF, BRIGHTNESS, COLOR_TEMP, RGB)
DEFAULT_MIN_KELVIN: Final = 2000
DEFAULT_MAX_KELVIN: Final = 6535


@dataclass(frozen=True, slots=True)
class TurnOn:
    """What light.turn_on asks for; None leaves that property as it is."""

    brightness: int | None = None  # 1..255
    color_temp_kelvin: int | None = None
    rgb_color: tuple[int, int, int] | None = None
    transition: float | None = None


class LightEntity(ToggleEntity):
    """A light. `supported_color_modes` decides which attributes it has."""

    domain = "light"
    supported_color_modes: tuple[str, ...] = (ONOFF,)
    color_mode: str | None = None
    brightness: int | None = None
    color_temp_kelvin: int | None = None
    rgb_color: tuple[int, int, int] | None = None
    min_kelvin: int = DEFAULT_MIN_KELVIN
    max_kelvin: int = DEFAULT_MAX_KELVIN

    def capability_attributes(self) -> dict[str, Any]:
        """supported_color_modes, the colour temperature range, supported_features."""
        attributes: dict[str, Any] = {"supported_color_modes": self.supported_color_modes}
        if COLOR_TEMP in self.supported_color_modes:
            attributes["min_color_temp_kelvin"] = self.min_kelvin
            attributes["max_color_temp_kelvin"] = self.max_kelvin
        attributes["supported_features"] = 0
        return attributes

    def state_attributes(self) -> dict[str, Any]:
        """The colour mode and the values it uses; None while the light is off."""
        on = bool(self.is_on)
        modes = self.supported_color_modes
        attributes: dict[str, Any] = {"color_mode": self._current_mode() if on else None}
        if modes != (ONOFF,):
            attributes["brightness"] = self.brightness if on else None
        if COLOR_TEMP in modes:
            attributes["color_temp_kelvin"] = self.color_temp_kelvin if on else None
        if RGB in modes:
            attributes["rgb_color"] = self.rgb_color if on else None
        return attributes

    def _current_mode(self) -> str:
        if self.color_mode in self.supported_color_modes:
            return self.color_mode
        return self.supported_color_modes[0]

    async def turn_on(self, context: Context, request: TurnOn | None = None) -> None:
        """Switch on, with what `request` asks for."""
        raise NotImplementedError


async def _turn_on(entity: Any, data: LightTurnOnData, context: Context) -> None:
    brightness = data.target_brightness()
    if brightness == 0:  # as in Home Assistant: brightness 0 switches the light off
        await entity.turn_off(context)
        return
    request = TurnOn(brightness, data.target_kelvin(), data.rgb_color, data.transition)
    await entity.turn_on(context, request)


SPEC = DomainSpec(
    "light",
    (
        EntityService("turn_on", LightTurnOnData, _turn_on, "Turn on lights."),
        EntityService("turn_off", TargetData, TOGGLE_OFF, "Turn off lights."),
        EntityService("toggle", TargetData, TOGGLE, "Toggle lights."),
    ),
)
