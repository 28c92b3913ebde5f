"""JSON serialisation shared by states and events (orjson, compact, UTF-8 bytes)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS


@runtime_checkable
class JsonSerialisable(Protocol):
    """An object that carries its own cached JSON."""

    def as_json(self) -> bytes:
        """The object as JSON bytes."""


def _default(obj: Any) -> Any:
    """Serialise what orjson does not know natively."""
    if isinstance(obj, JsonSerialisable):
        return orjson.Fragment(obj.as_json())
    if isinstance(obj, Mapping):
        return dict(obj)
    if isinstance(obj, set | frozenset):
        return list(obj)
    # Attributes may come from integrations with odd types; a text form beats failing the whole
    # /api/states response.
    return str(obj)


def dumps(value: Any) -> bytes:
    """Serialise to compact JSON bytes."""
    return orjson.dumps(value, default=_default, option=_OPTIONS)
