"""Entity ids and the immutable State value."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from hearth.const import MAX_ENTITY_ID_LENGTH, MAX_STATE_LENGTH
from hearth.core.context import Context
from hearth.core.serialize import dumps
from hearth.exceptions import BadRequest, InvalidEntityId

_LOGGER = logging.getLogger(__name__)

_SLUG_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")
_EMPTY: Mapping[str, Any] = MappingProxyType({})


def valid_slug(value: str) -> bool:
    """Whether `value` is a non-empty run of a-z, 0-9 and _ that neither starts nor ends with _."""
    return bool(value) and value[0] != "_" and value[-1] != "_" and _SLUG_CHARS.issuperset(value)


def valid_domain(domain: str) -> bool:
    """Whether `domain` is a valid integration domain (a slug without a double underscore)."""
    return len(domain) <= MAX_ENTITY_ID_LENGTH and valid_slug(domain) and "__" not in domain


def valid_entity_id(entity_id: object) -> bool:
    """Whether `entity_id` is `domain.object_id` as Home Assistant accepts it.

    Same result as Home Assistant's regex (which also rejects `__` anywhere), but with plain string
    operations: linear time whatever the input.
    """
    if not isinstance(entity_id, str) or len(entity_id) > MAX_ENTITY_ID_LENGTH:
        return False
    # Only short strings reach the cache, so it cannot be used to pin large inputs in memory.
    return _valid_entity_id(entity_id)


@lru_cache(maxsize=16384)
def _valid_entity_id(entity_id: str) -> bool:
    domain, dot, object_id = entity_id.partition(".")
    return bool(dot) and "__" not in entity_id and valid_slug(domain) and valid_slug(object_id)


def split_entity_id(entity_id: str) -> tuple[str, str]:
    """Split a valid entity id into (domain, object_id); InvalidEntityId otherwise."""
    if not valid_entity_id(entity_id):
        raise InvalidEntityId("Invalid entity ID.")
    domain, _, object_id = entity_id.partition(".")
    return domain, object_id


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


class State:
    """One entity's state at one moment. Immutable; attributes are a read-only mapping."""

    __slots__ = (
        "_json",
        "attributes",
        "context",
        "domain",
        "entity_id",
        "last_changed",
        "last_reported",
        "last_updated",
        "object_id",
        "state",
    )

    entity_id: str
    domain: str
    object_id: str
    state: str
    attributes: Mapping[str, Any]
    last_changed: datetime
    last_updated: datetime
    last_reported: datetime
    context: Context
    _json: bytes | None

    def __init__(
        self,
        entity_id: str,
        state: str,
        attributes: Mapping[str, Any] | None = None,
        last_changed: datetime | None = None,
        last_updated: datetime | None = None,
        last_reported: datetime | None = None,
        context: Context | None = None,
    ) -> None:
        domain, object_id = split_entity_id(entity_id)
        if not isinstance(state, str):
            raise BadRequest("state: expected a string.")
        if len(state) > MAX_STATE_LENGTH:
            raise BadRequest(f"state: expected at most {MAX_STATE_LENGTH} characters.")
        if attributes is None:
            attributes = _EMPTY
        elif not isinstance(attributes, MappingProxyType):
            if not isinstance(attributes, Mapping):
                raise BadRequest("attributes: expected an object.")
            # A shallow copy: the caller cannot change it afterwards, and readers get a view.
            attributes = MappingProxyType(dict(attributes))
        updated = last_updated or utcnow()
        setter = object.__setattr__
        setter(self, "entity_id", entity_id)
        setter(self, "domain", domain)
        setter(self, "object_id", object_id)
        setter(self, "state", state)
        setter(self, "attributes", attributes)
        setter(self, "last_updated", updated)
        setter(self, "last_changed", last_changed or updated)
        setter(self, "last_reported", last_reported or updated)
        setter(self, "context", context or Context())
        setter(self, "_json", None)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"State is immutable; cannot set {name}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"State is immutable; cannot delete {name}")

    def __repr__(self) -> str:
        return f"<State {self.entity_id}={self.state} @ {self.last_changed.isoformat()}>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, State):
            return NotImplemented
        return (
            self.entity_id == other.entity_id
            and self.state == other.state
            and self.attributes == other.attributes
            and self.context == other.context
        )

    __hash__ = None  # type: ignore[assignment]

    @property
    def name(self) -> str:
        """The friendly name, or the object id with spaces."""
        friendly = self.attributes.get("friendly_name")
        return friendly if isinstance(friendly, str) else self.object_id.replace("_", " ")

    def with_reported(self, reported: datetime) -> State:
        """A copy that differs only in last_reported."""
        return State(
            self.entity_id,
            self.state,
            self.attributes,
            self.last_changed,
            self.last_updated,
            reported,
            self.context,
        )

    def as_dict(self) -> dict[str, Any]:
        """The Home Assistant shape, timestamps as ISO 8601 strings."""
        updated = self.last_updated.isoformat()
        # The three timestamps are often equal; format each distinct one once.
        changed = (
            updated if self.last_changed == self.last_updated else self.last_changed.isoformat()
        )
        reported = (
            updated if self.last_reported == self.last_updated else self.last_reported.isoformat()
        )
        return {
            "entity_id": self.entity_id,
            "state": self.state,
            "attributes": dict(self.attributes),
            "last_changed": changed,
            "last_reported": reported,
            "last_updated": updated,
            "context": self.context.as_dict(),
        }

    def as_json(self) -> bytes:
        """`as_dict()` as JSON bytes, computed once."""
        data = self._json
        if data is None:
            data = dumps(self.as_dict())
            object.__setattr__(self, "_json", data)
        return data

    def as_compressed_dict(self) -> dict[str, Any]:
        """The compressed shape used by the WebSocket `subscribe_entities` command."""
        ctx = self.context
        context: str | dict[str, str | None] = (
            ctx.id if ctx.parent_id is None and ctx.user_id is None else ctx.as_dict()
        )
        compressed: dict[str, Any] = {
            "s": self.state,
            "a": dict(self.attributes),
            "c": context,
            "lc": self.last_changed.timestamp(),
        }
        if self.last_changed != self.last_updated:
            compressed["lu"] = self.last_updated.timestamp()
        return compressed


def json_size(states: Iterable[State]) -> int:
    """The size of the states' cached JSON together (those that cannot be serialised count 0)."""
    size = 0
    for state in states:
        try:
            size += len(state.as_json())
        except TypeError:  # orjson.JSONEncodeError; left out of listings too
            continue
    return size


def states_json(states: Iterable[State]) -> bytes:
    """A JSON array of states, joined from their cached serialisations.

    A state that cannot be serialised (the core refuses such data, so only a bug gets here) is
    left out with one log line rather than failing the whole listing for every client.
    """
    parts = []
    for state in states:
        try:
            parts.append(state.as_json())
        except TypeError:  # orjson.JSONEncodeError
            _LOGGER.error("The state of %s cannot be serialised; left out", state.entity_id)
    if not parts:
        return b"[]"
    # Brackets go onto the small end pieces so the large body is allocated and copied once:
    # wrapping the joined bytes copies it twice more (several times slower at 2,000 states).
    parts[0] = b"[" + parts[0]
    parts[-1] = parts[-1] + b"]"
    return b",".join(parts)
