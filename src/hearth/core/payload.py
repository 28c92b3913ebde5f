"""The one check on data put into states, events and service calls: always serialisable.

Whatever fills attributes, event data or service data — a REST body, a WebSocket command, an
integration — passes `check_payload` in the core before it is stored or fired. What it accepts
serialises with orjson in every shape the hub sends it (a state, an event, a compressed diff, each
inside a WebSocket message), because the nesting stays far below orjson's 254 levels, integers
fit in 64 bits, text is valid Unicode and only types with a fixed JSON form are allowed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from enum import Enum
from typing import Any, Final
from uuid import UUID

import orjson

from hearth import const
from hearth.core.state import State
from hearth.exceptions import InvalidPayload

_INT_MIN: Final = -(2**63)
_INT_MAX: Final = 2**64 - 1
_SCALAR_SIZES: Final[dict[type, int]] = {bool: 5, type(None): 4}
_FIXED_SIZES: Final = ((datetime, 34), (date, 12), (time, 17), (UUID, 38))
_SEQUENCES: Final = (list, tuple, set, frozenset)


def check_payload(value: Mapping[str, Any], what: str) -> None:
    """InvalidPayload (400) naming `what` unless `value` is bounded, serialisable data.

    Bounds (hearth.const): MAX_PAYLOAD_DEPTH levels, about MAX_PAYLOAD_BYTES of JSON, text values
    of at most MAX_PAYLOAD_STRING characters and keys of at most MAX_PAYLOAD_KEY. States inside
    (state_changed data) were checked when they were set and count as leaves.
    """
    _Walk(what).mapping(value, 1)


def check_text(value: str, what: str) -> None:
    """InvalidPayload unless `value` is valid Unicode (no lone surrogates)."""
    if not value.isascii():
        _Walk(what).text(value, const.MAX_PAYLOAD_STRING, "text")


class _Walk:
    """One pass over a payload, counting its approximate JSON size as it goes."""

    __slots__ = ("size", "what")

    def __init__(self, what: str) -> None:
        self.what = what
        self.size = 0

    def fail(self, problem: str) -> InvalidPayload:
        return InvalidPayload(f"{self.what}: {problem}")

    def grow(self, size: int) -> None:
        self.size += size
        if self.size > const.MAX_PAYLOAD_BYTES:
            raise self.fail(f"larger than {const.MAX_PAYLOAD_BYTES // 1024} KiB of JSON.")

    def value(self, item: Any, depth: int) -> None:
        kind = type(item)
        if kind is str:
            self.text(item, const.MAX_PAYLOAD_STRING, "text")
        elif kind is int:
            self.integer(item)
        elif kind is float:
            self.grow(len(repr(item)))
        elif kind in _SCALAR_SIZES:
            self.grow(_SCALAR_SIZES[kind])
        elif kind is dict or isinstance(item, Mapping):
            self.mapping(item, depth + 1)
        elif isinstance(item, _SEQUENCES):
            self.sequence(item, depth + 1)
        else:
            self.other(item, depth)

    def other(self, item: Any, depth: int) -> None:
        if isinstance(item, State):
            return  # checked when it was set; serialised from its own cached JSON
        if isinstance(item, Enum):
            # orjson writes an enum as its value.
            self.value(item.value, depth)
            return
        if isinstance(item, str):
            self.text(item, const.MAX_PAYLOAD_STRING, "text")
            return
        if isinstance(item, int):  # bool was handled above; int subclasses write as ints
            self.integer(item)
            return
        if isinstance(item, float):
            self.grow(len(repr(float(item))))
            return
        for kind, size in _FIXED_SIZES:
            if isinstance(item, kind):
                self.grow(size)
                return
        # Type names are ours or an integration's, never client input (JSON has none of these).
        raise self.fail(f"values of type {type(item).__name__} are not supported.")

    def integer(self, item: int) -> None:
        if not _INT_MIN <= item <= _INT_MAX:
            raise self.fail("a number is out of range (at most 64 bits).")
        self.grow(len(str(int(item))))

    def text(self, item: str, limit: int, kind: str) -> None:
        if len(item) > limit:
            raise self.fail(f"a {kind} is longer than {limit} characters.")
        if item.isascii() and item.isprintable():
            self.grow(len(item) + 2)
            return
        try:
            # Exact size with escapes; refuses lone surrogates, which no JSON writer can encode.
            self.grow(len(orjson.dumps(item)))
        except orjson.JSONEncodeError:
            raise self.fail(f"a {kind} is not valid Unicode.") from None

    def mapping(self, item: Mapping[Any, Any], depth: int) -> None:
        if depth > const.MAX_PAYLOAD_DEPTH:
            raise self.fail(f"nested deeper than {const.MAX_PAYLOAD_DEPTH} levels.")
        self.grow(2 + len(item))
        for key, child in item.items():
            if isinstance(key, str):
                self.text(key, const.MAX_PAYLOAD_KEY, "key")
            elif isinstance(key, bool | float) or key is None:
                self.grow(7)
            elif isinstance(key, int):
                self.integer(key)
            else:
                raise self.fail("keys must be text.")
            self.grow(1)
            self.value(child, depth)

    def sequence(self, item: Any, depth: int) -> None:
        if depth > const.MAX_PAYLOAD_DEPTH:
            raise self.fail(f"nested deeper than {const.MAX_PAYLOAD_DEPTH} levels.")
        self.grow(2 + len(item))
        for child in item:
            self.value(child, depth)
