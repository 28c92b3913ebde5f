"""Pydantic schemas of the domains' service data."""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from hearth.core.validation import ENTITY_IDS_EXPECTED, EntityIds


def _no_bool(value: Any) -> Any:
    """Reject booleans, which pydantic would otherwise read as 0 or 1."""
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    return value


NoBool = BeforeValidator(_no_bool)


class TargetData(BaseModel):
    """Data of the services that take only a target (turn_off, toggle, lock ...)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    entity_id: EntityIds = Field(
        default_factory=list,
        description="The entities to act on, or all.",
        json_schema_extra={"expected": ENTITY_IDS_EXPECTED},
    )


class LightTurnOnData(TargetData):
    """Data of light.turn_on."""

    brightness: Annotated[int | None, NoBool] = Field(
        None,
        ge=0,
        le=255,
        description="Brightness from 0 (off) to 255.",
        json_schema_extra={"expected": "an integer between 0 and 255"},
    )
    brightness_pct: Annotated[float | None, NoBool] = Field(
        None,
        ge=0,
        le=100,
        description="Brightness in percent, 0 to 100.",
        json_schema_extra={"expected": "a number between 0 and 100"},
    )
    color_temp_kelvin: Annotated[int | None, NoBool] = Field(
        None,
        ge=1000,
        le=40000,
        description="Colour temperature in kelvin.",
        json_schema_extra={"expected": "an integer between 1000 and 40000"},
    )
    color_temp: Annotated[int | None, NoBool] = Field(
        None,
        ge=25,
        le=1000,
        description="Colour temperature in mireds (older clients).",
        json_schema_extra={"expected": "an integer between 25 and 1000"},
    )
    rgb_color: Annotated[
        tuple[
            Annotated[int, NoBool, Field(ge=0, le=255)],
            Annotated[int, NoBool, Field(ge=0, le=255)],
            Annotated[int, NoBool, Field(ge=0, le=255)],
        ]
        | None,
        Field(
            description="Colour as red, green, blue (0 to 255 each).",
            json_schema_extra={"expected": "three integers between 0 and 255"},
        ),
    ] = None
    transition: Annotated[float | None, NoBool] = Field(
        None,
        ge=0,
        le=3600,
        description="Seconds the change should take, if the light supports it.",
        json_schema_extra={"expected": "a number of seconds between 0 and 3600"},
    )

    @model_validator(mode="after")
    def _one_of_each(self) -> Self:
        if self.brightness is not None and self.brightness_pct is not None:
            raise ValueError("brightness, brightness_pct: use only one of them")
        colours = [self.color_temp_kelvin, self.color_temp, self.rgb_color]
        if sum(value is not None for value in colours) > 1:
            raise ValueError("color_temp_kelvin, color_temp, rgb_color: use only one of them")
        return self

    def target_brightness(self) -> int | None:
        """The requested brightness on the 0..255 scale, if any."""
        if self.brightness_pct is not None:
            return round(self.brightness_pct * 255 / 100)
        return self.brightness

    def target_kelvin(self) -> int | None:
        """The requested colour temperature in kelvin, if any."""
        if self.color_temp is not None:
            return round(1_000_000 / self.color_temp)
        return self.color_temp_kelvin


class CoverPositionData(TargetData):
    """Data of cover.set_cover_position."""

    position: Annotated[int, NoBool] = Field(
        ge=0,
        le=100,
        description="Position from 0 (closed) to 100 (open).",
        json_schema_extra={"expected": "an integer between 0 and 100"},
    )
