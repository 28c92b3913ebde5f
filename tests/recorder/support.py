"""Building events and databases for the recorder tests (real SQLite files, no mocks)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hearth.config.recorder_fields import EntityMatch
from hearth.core.context import Context
from hearth.core.events import EVENT_CALL_SERVICE, EVENT_STATE_CHANGED, Event
from hearth.core.state import State
from hearth.recorder.batch import BatchWriter
from hearth.recorder.filters import AttributeFilter
from hearth.recorder.items import Change, change_of
from hearth.recorder.schema import open_writer

T0 = 1_700_000_000.0  # a fixed "now" for the tables of these tests


def at(seconds: float) -> datetime:
    """A UTC datetime `seconds` after T0."""
    return datetime.fromtimestamp(T0 + seconds, UTC)


def change(
    entity_id: str,
    state: str,
    when: float,
    *,
    old: State | None = None,
    attributes: Mapping[str, Any] | None = None,
    context: Context | None = None,
    changed: float | None = None,
) -> tuple[Event, State]:
    """A state_changed event as the state machine fires it, and the new state."""
    context = context or Context()
    new = State(
        entity_id,
        state,
        attributes or {},
        last_changed=at(changed if changed is not None else when),
        last_updated=at(when),
        context=context,
    )
    data = {"entity_id": entity_id, "old_state": old, "new_state": new}
    return Event(EVENT_STATE_CHANGED, data, time_fired=at(when), context=context), new


def history(
    entity_id: str, states: list[tuple[float, str]], attributes: Mapping[str, Any] | None = None
) -> list[Event]:
    """Successive changes of one entity (the first one its appearance)."""
    events, old = [], None
    for when, state in states:
        event, old = change(entity_id, state, when, old=old, attributes=attributes)
        events.append(event)
    return events


def records(events: list[Event]) -> list[Change]:
    """The writer's records of state_changed events (as the recorder's listener makes them)."""
    return [change_of(event, plain_filter()) for event in events]


def call(domain: str, service: str, context: Context, when: float) -> Event:
    """A call_service event (with data that must never be recorded)."""
    data = {"domain": domain, "service": service, "service_data": {"code": "4711"}}
    return Event(EVENT_CALL_SERVICE, data, time_fired=at(when), context=context)


def plain_filter() -> AttributeFilter:
    """The default attribute filter (sensitive domains and secret-like names dropped)."""
    return AttributeFilter(EntityMatch(), [], exclude_secret=True)


@contextmanager
def database(path: Path) -> Iterator[tuple[sqlite3.Connection, BatchWriter]]:
    """A migrated history database and a batch writer on it."""
    conn = open_writer(path)
    try:
        yield conn, BatchWriter(conn, plain_filter())
    finally:
        conn.close()
