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
    """One pass over a payload; each step returns the approximate JSON size of what it saw."""

    __slots__ = ("max_depth", "max_key", "max_text", "what")

    def __init__(self, what: str) -> None:
        self.what = what
        self.max_depth = const.MAX_PAYLOAD_DEPTH
        self.max_key = const.MAX_PAYLOAD_KEY
        self.max_text = const.MAX_PAYLOAD_STRING

    def fail(self, problem: str) -> InvalidPayload:
        return InvalidPayload(f"{self.what}: {problem}")

    def bounded(self, size: int) -> int:
        # Every container checks its own size, so the outermost one checks the total.
        if size > const.MAX_PAYLOAD_BYTES:
            raise self.fail(f"larger than {const.MAX_PAYLOAD_BYTES // 1024} KiB of JSON.")
        return size

    def mapping(self, item: Mapping[Any, Any], depth: int) -> int:
        if depth > self.max_depth:
            raise self.fail(f"nested deeper than {self.max_depth} levels.")
        size = 2 + len(item)
        max_key, max_text, value = self.max_key, self.max_text, self.value
        for key, child in item.items():
            # The common cases inline: printable ASCII text needs no escaping.
            if type(key) is str and len(key) <= max_key and key.isascii() and key.isprintable():
                size += len(key) + 3
            else:
                size += self.key(key) + 1
            if (
                type(child) is str
                and len(child) <= max_text
                and child.isascii()
                and child.isprintable()
            ):
                size += len(child) + 2
            else:
                size += value(child, depth)
        return self.bounded(size)

    def sequence(self, item: Any, depth: int) -> int:
        if depth > self.max_depth:
            raise self.fail(f"nested deeper than {self.max_depth} levels.")
        size = 2 + len(item)
        value = self.value
        for child in item:
            size += value(child, depth)
        return self.bounded(size)

    def value(self, item: Any, depth: int) -> int:
        kind = type(item)
        if kind is str:
            if len(item) <= self.max_text and item.isascii() and item.isprintable():
                return len(item) + 2
            return self.text(item, self.max_text, "text")
        if kind is int:
            return self.integer(item)
        if kind is float:
            return len(repr(item))
        if kind is bool:
            return 5
        if item is None:
            return 4
        if kind is dict:
            return self.mapping(item, depth + 1)
        if kind is list:
            return self.sequence(item, depth + 1)
        return self.other(item, depth)

    def other(self, item: Any, depth: int) -> int:
        if isinstance(item, State):
            return 0  # checked when it was set; serialised from its own cached JSON
        if isinstance(item, Mapping):
            return self.mapping(item, depth + 1)
        if isinstance(item, _SEQUENCES):
            return self.sequence(item, depth + 1)
        if isinstance(item, Enum):
            # orjson writes an enum as its value.
            return self.value(item.value, depth)
        if isinstance(item, str):
            return self.text(item, self.max_text, "text")
        if isinstance(item, int):  # bool was handled before; int subclasses write as ints
            return self.integer(item)
        if isinstance(item, float):
            return len(repr(float(item)))
        for kind, size in _FIXED_SIZES:
            if isinstance(item, kind):
                return size
        # Type names are ours or an integration's, never client input (JSON has none of these).
        raise self.fail(f"values of type {type(item).__name__} are not supported.")

    def key(self, key: Any) -> int:
        if isinstance(key, str):
            return self.text(key, self.max_key, "key") + 1
        if isinstance(key, bool | float) or key is None:
            return 8
        if isinstance(key, int):
            return self.integer(key) + 3
        raise self.fail("keys must be text.")

    def integer(self, item: int) -> int:
        if not _INT_MIN <= item <= _INT_MAX:
            raise self.fail("a number is out of range (at most 64 bits).")
        return len(str(int(item)))

    def text(self, item: str, limit: int, kind: str) -> int:
        if len(item) > limit:
            raise self.fail(f"a {kind} is longer than {limit} characters.")
        if item.isascii() and item.isprintable():
            return len(item) + 2
        try:
            # Exact size with escapes; refuses lone surrogates, which no JSON writer can encode.
            return self.bounded(len(orjson.dumps(item)))
        except orjson.JSONEncodeError:
            raise self.fail(f"a {kind} is not valid Unicode.") from None
