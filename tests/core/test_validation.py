"""Tests for hearth.core.validation."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hearth.core.validation import ENTITY_IDS_EXPECTED, EntityIds, describe_validation_error


class Target(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entity_id: EntityIds = Field(
        default_factory=list, json_schema_extra={"expected": ENTITY_IDS_EXPECTED}
    )


class Pair(BaseModel):
    a: int | None = None
    b: int | None = None

    @model_validator(mode="after")
    def _one(self) -> Pair:
        if self.a is not None and self.b is not None:
            raise ValueError("a, b: use only one of them")
        return self


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("light.a", ["light.a"]),
        ("Light.A", ["light.a"]),
        ("all", "all"),
        (" ALL ", "all"),
        ("none", []),
        ("light.a, switch.b", ["light.a", "switch.b"]),
        (["light.a", "light.a", "switch.b"], ["light.a", "switch.b"]),
        ([], []),
    ],
)
def test_entity_ids_accepted(value: object, expected: object) -> None:
    assert Target.model_validate({"entity_id": value}).entity_id == expected


@pytest.mark.parametrize(
    "value",
    [None, 5, "light", "light.a,", ["light.a", 5], ["all"], {"light.a": 1}, "x." + "a" * 100_000],
)
def test_entity_ids_rejected(value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        Target.model_validate({"entity_id": value})
    message = describe_validation_error(Target, caught.value)
    assert message == f"entity_id: expected {ENTITY_IDS_EXPECTED}"


def test_model_level_error_message() -> None:
    with pytest.raises(ValidationError) as caught:
        Pair.model_validate({"a": 1, "b": 2})
    assert describe_validation_error(Pair, caught.value) == "a, b: use only one of them"


def test_field_without_expected_uses_pydantic_text() -> None:
    with pytest.raises(ValidationError) as caught:
        Pair.model_validate({"a": "many"})
    message = describe_validation_error(Pair, caught.value)
    assert message.startswith("a: Input should be a valid integer")
    assert "many" not in message
