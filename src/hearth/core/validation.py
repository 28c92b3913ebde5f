"""Service-data validation helpers: entity targets and one-line pydantic error messages."""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, BeforeValidator, ValidationError
from pydantic_core import ErrorDetails

from hearth.core.state import valid_entity_id

ENTITY_MATCH_ALL: Final = "all"
ENTITY_MATCH_NONE: Final = "none"
ENTITY_IDS_EXPECTED: Final = 'an entity ID, a list of entity IDs or "all"'
_MAX_NAME_ECHO: Final = 64
_MAX_MESSAGE: Final = 200


def _entity_ids(value: Any) -> list[str] | Literal["all"]:
    """Normalise an entity target: "all", one id, a comma-separated string or a list of ids."""
    if isinstance(value, str):
        stripped = value.strip().lower()
        if stripped == ENTITY_MATCH_ALL:
            return ENTITY_MATCH_ALL
        if stripped == ENTITY_MATCH_NONE:
            return []
        items: list[Any] = stripped.split(",")
    elif isinstance(value, list):
        items = value
    else:
        raise ValueError(f"expected {ENTITY_IDS_EXPECTED}")
    result: dict[str, None] = {}  # ordered and without duplicates
    for item in items:
        if not isinstance(item, str):
            raise ValueError(f"expected {ENTITY_IDS_EXPECTED}")
        entity_id = item.strip().lower()
        if not valid_entity_id(entity_id):
            raise ValueError(f"expected {ENTITY_IDS_EXPECTED}")
        result[entity_id] = None
    return list(result)


EntityIds = Annotated[list[str] | Literal["all"], BeforeValidator(_entity_ids)]
"""A service-call entity target; validated to a list of lower-case ids or "all"."""


def _safe_name(value: object) -> str | None:
    """`value` if it is short and harmless to show, else None (never echo arbitrary input)."""
    if (
        isinstance(value, str)
        and 0 < len(value) <= _MAX_NAME_ECHO
        and value.isascii()
        and value.replace("_", "a").isalnum()
    ):
        return value
    return None


def _expected(model: type[BaseModel], field: str) -> str | None:
    info = model.model_fields.get(field)
    extra = info.json_schema_extra if info is not None else None
    if isinstance(extra, dict):
        expected = extra.get("expected")
        if isinstance(expected, str):
            return expected
    return None


def _describe(model: type[BaseModel], error: ErrorDetails) -> str:
    loc = error["loc"]
    kind = error["type"]
    message = error["msg"]
    if kind == "value_error":
        # pydantic prefixes the text of our own ValueError; the text itself is ours, not input.
        message = str(error.get("ctx", {}).get("error", message)).removeprefix("Value error, ")
    if not loc:
        return message
    field = _safe_name(loc[0])
    if kind == "extra_forbidden":
        allowed = ", ".join(model.model_fields)
        named = f" '{field}'" if field else ""
        return f"unknown field{named} (allowed: {allowed})"
    if field is None:
        return message
    if kind == "missing":
        return f"{field}: required"
    expected = _expected(model, field)
    if expected is not None:
        return f"{field}: expected {expected}"
    return f"{field}: {message}"


def describe_validation_error(model: type[BaseModel], error: ValidationError) -> str:
    """One line naming the first offending field and what it expects; input is never echoed."""
    details = error.errors(include_url=False, include_input=False, include_context=True)
    if not details:
        return "invalid service data"
    text = _describe(model, details[0])
    if len(text) > _MAX_MESSAGE:
        text = text[: _MAX_MESSAGE - 3] + "..."
    others = len({detail["loc"][:1] for detail in details}) - 1
    if others > 0:
        text += f" (and {others} more problem{'s' if others > 1 else ''})"
    return text
