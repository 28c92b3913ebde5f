"""Pydantic schemas for the demo's services."""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from hearth.core.validation import ENTITY_IDS_EXPECTED, EntityIds


def _no_bool(value: Any) -> Any:
    """Reject booleans, which pydantic would otherwise read as 0 or 1."""
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    return value


class TargetData(BaseModel):
    """Data of the on/off/toggle services: only the target."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    entity_id: EntityIds = Field(
        default_factory=list,
        description="The entities to act on, or all.",
        json_schema_extra={"expected": ENTITY_IDS_EXPECTED},
    )


class LightTurnOnData(TargetData):
    """Data of light.turn_on."""

    brightness: Annotated[int | None, BeforeValidator(_no_bool)] = Field(
        None,
        ge=0,
        le=255,
        description="Brightness from 0 (off) to 255.",
        json_schema_extra={"expected": "an integer between 0 and 255"},
    )
    brightness_pct: Annotated[float | None, BeforeValidator(_no_bool)] = Field(
        None,
        ge=0,
        le=100,
        description="Brightness in percent, 0 to 100.",
        json_schema_extra={"expected": "a number between 0 and 100"},
    )

    @model_validator(mode="after")
    def _one_brightness(self) -> Self:
        if self.brightness is not None and self.brightness_pct is not None:
            raise ValueError("brightness, brightness_pct: use only one of them")
        return self

    def target_brightness(self) -> int | None:
        """The requested brightness on the 0..255 scale, if any."""
        if self.brightness_pct is not None:
            return round(self.brightness_pct * 255 / 100)
        return self.brightness
