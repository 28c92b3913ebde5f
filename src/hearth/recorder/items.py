"""What the event loop hands to the writer: small records, never the events themselves.

Built on the event loop (cheap) so that the writer's queue holds only what will be written:
a `call_service` event with 200 KiB of service data becomes its domain and service, and a state
whose attributes did not change shares the live state's attributes instead of a copy. When the
attributes did change they are filtered (privacy) and serialised here, and their size counts
against the queue's byte bound.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import orjson

from hearth.core.context import Context
from hearth.core.events import EVENT_CALL_SERVICE, Event
from hearth.core.state import State
from hearth.recorder.filters import AttributeFilter

EVENT_LOGBOOK_ENTRY: Final = "logbook_entry"
LOGBOOK_ENTRY_KEYS: Final = ("name", "message", "domain", "entity_id")
MAX_ENTRY_TEXT: Final = 255
CONTINUOUS_DOMAINS: Final = frozenset({"sensor"})
JSON_OPTIONS: Final = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
ITEM_OVERHEAD: Final = 200  # bytes a queued record costs besides its attribute JSON


@dataclass(frozen=True, slots=True)
class Change:
    """One state change to record (or, with `snapshot`, a current state to record if new)."""

    entity_id: str
    state: str | None  # None: the entity was removed
    updated: float
    changed: float | None  # None: equal to updated
    appeared: bool  # the entity's first state (a change, but no logbook entry)
    continuous: bool  # a measuring sensor (no logbook entries)
    attributes: Mapping[str, Any] | None  # unchanged: the live state's own mapping ...
    shared: bytes | None  # ... changed: the filtered JSON, made on the loop
    context: Context | None
    snapshot: bool = False

    @property
    def size(self) -> int:
        """Bytes this record holds for the queue's bound."""
        return ITEM_OVERHEAD + (len(self.shared) if self.shared is not None else 0)


@dataclass(frozen=True, slots=True)
class Fired:
    """A hub start or stop, a logbook entry, or a service call (its domain and service)."""

    time: float
    event_type: str
    context: Context | None
    data: bytes | None

    @property
    def size(self) -> int:
        """Bytes this record holds for the queue's bound."""
        return ITEM_OVERHEAD + (len(self.data) if self.data is not None else 0)


Item = Change | Fired


def is_continuous(entity_id: str, attributes: Mapping[str, Any]) -> bool:
    """A sensor that measures (a unit or a state class): its changes are no logbook entries."""
    return entity_id.partition(".")[0] in CONTINUOUS_DOMAINS and (
        "unit_of_measurement" in attributes or "state_class" in attributes
    )


def attribute_json(entity_id: str, attributes: Mapping[str, Any], kept: AttributeFilter) -> bytes:
    """The attributes that may be recorded, as the JSON stored (sorted keys: equal sets match)."""
    return orjson.dumps(kept.keep(entity_id, attributes), option=JSON_OPTIONS)


def change_of(event: Event, kept: AttributeFilter) -> Change:
    """The record of a state_changed event."""
    data = event.data
    entity_id: str = data["entity_id"]
    new: State | None = data.get("new_state")
    old: State | None = data.get("old_state")
    if new is None:
        when = event.time_fired.timestamp()
        return Change(entity_id, None, when, None, False, False, None, None, event.context)
    updated = new.last_updated.timestamp()
    changed = None if new.last_changed == new.last_updated else new.last_changed.timestamp()
    same = old is not None and old.attributes is new.attributes
    return Change(
        entity_id,
        new.state,
        updated,
        changed,
        appeared=old is None,
        continuous=is_continuous(entity_id, new.attributes),
        attributes=new.attributes if same else None,
        shared=None if same else attribute_json(entity_id, new.attributes, kept),
        context=new.context,
    )


def snapshot_of(state: State) -> Change:
    """The record of an entity's current state (after a pause in recording)."""
    changed = None if state.last_changed == state.last_updated else state.last_changed.timestamp()
    return Change(
        state.entity_id,
        state.state,
        state.last_updated.timestamp(),
        changed,
        appeared=False,
        continuous=is_continuous(state.entity_id, state.attributes),
        attributes=state.attributes,
        shared=None,
        context=None,
        snapshot=True,
    )


def fired_of(event: Event) -> Fired:
    """The record of another event the logbook needs."""
    data: bytes | None = None
    if event.event_type == EVENT_CALL_SERVICE:
        # Domain and service only: service data may hold codes or passwords.
        fields = {
            key: str(event.data.get(key, ""))[:MAX_ENTRY_TEXT] for key in ("domain", "service")
        }
        data = orjson.dumps(fields)
    elif event.event_type == EVENT_LOGBOOK_ENTRY:
        data = orjson.dumps(
            {
                key: str(value)[:MAX_ENTRY_TEXT]
                for key in LOGBOOK_ENTRY_KEYS
                if isinstance(value := event.data.get(key), str | int | float)
            }
        )
    context = event.context if data is not None else None
    return Fired(event.time_fired.timestamp(), event.event_type, context, data)
