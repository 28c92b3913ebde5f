"""Turning hub events into rows of the history database, one batch per transaction.

Runs in the writer thread (and in the benchmark's data generator), never on the event loop.
Entity ids, attribute sets and contexts are looked up once and cached; the caches are dropped
whenever a transaction is rolled back or a purge may have deleted what they point at.
"""

from __future__ import annotations

import hashlib
import math
import sqlite3
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import orjson

from hearth.core.events import EVENT_CALL_SERVICE, EVENT_STATE_CHANGED, Event
from hearth.core.state import State
from hearth.recorder.filters import AttributeFilter

EVENT_LOGBOOK_ENTRY: Final = "logbook_entry"
LOGBOOK_ENTRY_KEYS: Final = ("name", "message", "domain", "entity_id")
MAX_ENTRY_TEXT: Final = 255
# A set's last_used is rewritten when it is this much older than the state using it: the purge
# keeps sets used within this margin of its cut-off.
LAST_USED_SLACK: Final = 3600.0
CONTEXT_CACHE: Final = 10_000
ATTRIBUTE_CACHE: Final = 10_000
CONTINUOUS_DOMAINS: Final = frozenset({"sensor"})
_JSON_OPTIONS: Final = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The current state of an entity, recorded unless the database already has it."""

    state: State


def is_continuous(entity_id: str, attributes: Mapping[str, Any]) -> bool:
    """A sensor that measures (a unit or a state class): its changes are no logbook entries."""
    return entity_id.partition(".")[0] in CONTINUOUS_DOMAINS and (
        "unit_of_measurement" in attributes or "state_class" in attributes
    )


def _entry_data(data: Mapping[str, Any]) -> bytes:
    """The fields of a logbook_entry event the logbook shows, as bounded text."""
    kept = {
        key: str(data[key])[:MAX_ENTRY_TEXT]
        for key in LOGBOOK_ENTRY_KEYS
        if isinstance(data.get(key), str | int | float)
    }
    return orjson.dumps(kept)


def _service_data(data: Mapping[str, Any]) -> bytes:
    """Domain and service of a call: never its data, which may hold codes or passwords."""
    return orjson.dumps(
        {key: str(data.get(key, ""))[:MAX_ENTRY_TEXT] for key in ("domain", "service")}
    )


class BatchWriter:
    """Writes batches of events on one connection (the caller owns the thread)."""

    def __init__(self, conn: sqlite3.Connection, attributes: AttributeFilter) -> None:
        self._conn = conn
        self._filter = attributes
        self._entities: dict[str, tuple[int, bool]] = {}
        self._last_updated: dict[int, float] = {}
        self._attributes: OrderedDict[bytes, tuple[int, float]] = OrderedDict()
        # The attributes object of each entity's last state, and its digest: the state machine
        # keeps the same object while the attributes stay equal, so most states skip the JSON.
        self._last_set: dict[int, tuple[Mapping[str, Any], bytes]] = {}
        self._contexts: OrderedDict[str, tuple[int, float]] = OrderedDict()

    def forget(self) -> None:
        """Drop every cache (after a rollback or a purge)."""
        self._entities.clear()
        self._last_updated.clear()
        self._attributes.clear()
        self._last_set.clear()
        self._contexts.clear()

    def write(self, items: Iterable[Event | Snapshot]) -> int:
        """Write the items in one transaction; returns the state rows written.

        sqlite3.Error propagates after a rollback (and the caches are dropped with it).
        """
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            rows: list[tuple[Any, ...]] = []
            for item in items:
                if isinstance(item, Snapshot):
                    self._snapshot(item.state, rows)
                elif item.event_type == EVENT_STATE_CHANGED:
                    self._state_changed(item, rows)
                else:
                    self._event(item)
            if rows:
                conn.executemany("INSERT OR IGNORE INTO states VALUES (?, ?, ?, ?, ?, ?)", rows)
            conn.execute("COMMIT")
        except BaseException:
            self.forget()
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return len(rows)

    # States.

    def _state_changed(self, event: Event, rows: list[tuple[Any, ...]]) -> None:
        data = event.data
        entity_id: str = data["entity_id"]
        new: State | None = data.get("new_state")
        entity = self._entity(entity_id, new)
        if new is None:
            updated = self._unique(entity, event.time_fired.timestamp())
            rows.append((entity, updated, None, None, None, self._context(event, states=True)))
            return
        updated = self._unique(entity, new.last_updated.timestamp())
        if data.get("old_state") is None:
            changed: float | None = updated  # appeared: a change, but no logbook entry
        elif new.last_changed == new.last_updated:
            changed = None
        else:
            changed = new.last_changed.timestamp()
        attributes = self._attribute_set(entity, entity_id, new.attributes, updated)
        rows.append((entity, updated, changed, new.state, attributes, self._context(event, True)))

    def _snapshot(self, state: State, rows: list[tuple[Any, ...]]) -> None:
        entity = self._entity(state.entity_id, state)
        updated = state.last_updated.timestamp()
        if updated <= self._last_updated.get(entity, -math.inf):
            return  # recorded already (or older than what is)
        self._last_updated[entity] = updated
        changed = (
            None if state.last_changed == state.last_updated else state.last_changed.timestamp()
        )
        attributes = self._attribute_set(entity, state.entity_id, state.attributes, updated)
        rows.append((entity, updated, changed, state.state, attributes, None))

    def _unique(self, entity: int, updated: float) -> float:
        """`updated`, moved by the smallest step when this entity already has a row then."""
        last = self._last_updated.get(entity)
        if last is not None and updated == last:
            updated = math.nextafter(updated, math.inf)
        self._last_updated[entity] = updated
        return updated

    def _entity(self, entity_id: str, state: State | None) -> int:
        continuous = state is not None and is_continuous(entity_id, state.attributes)
        found = self._entities.get(entity_id)
        if found is None:
            row = self._conn.execute(
                "SELECT id, continuous FROM entities WHERE entity_id = ?", (entity_id,)
            ).fetchone()
            if row is None:
                row = self._conn.execute(
                    "INSERT INTO entities (entity_id, continuous) VALUES (?, ?) "
                    "RETURNING id, continuous",
                    (entity_id, int(continuous)),
                ).fetchone()
            found = (int(row[0]), bool(row[1]))
            self._entities[entity_id] = found
        if state is not None and found[1] != continuous:
            self._conn.execute(
                "UPDATE entities SET continuous = ? WHERE id = ?", (int(continuous), found[0])
            )
            found = (found[0], continuous)
            self._entities[entity_id] = found
        return found[0]

    def _attribute_set(
        self, entity: int, entity_id: str, attributes: Mapping[str, Any], when: float
    ) -> int:
        last = self._last_set.get(entity)
        shared = b""
        if last is not None and last[0] is attributes:
            digest = last[1]
        else:
            shared = orjson.dumps(self._filter.keep(entity_id, attributes), option=_JSON_OPTIONS)
            digest = hashlib.blake2b(shared, digest_size=16).digest()
            self._last_set[entity] = (attributes, digest)
        cached = self._attributes.get(digest)
        if cached is not None:
            self._attributes.move_to_end(digest)
            attr_id, last_used = cached
            if when - last_used <= LAST_USED_SLACK:
                return attr_id
            updated = self._conn.execute(
                "UPDATE attributes SET last_used = ? WHERE id = ?", (when, attr_id)
            )
            if updated.rowcount:
                self._remember(digest, attr_id, when)
                return attr_id
            # Purged by `hearth recorder purge` meanwhile: store the set again.
        if not shared:
            shared = orjson.dumps(self._filter.keep(entity_id, attributes), option=_JSON_OPTIONS)
        key = int.from_bytes(digest[:8], "big", signed=True)
        attr_id = 0
        for row_id, last_used, stored in self._conn.execute(
            "SELECT id, last_used, shared FROM attributes WHERE hash = ?", (key,)
        ):
            if stored == shared:
                attr_id = int(row_id)
                if when - float(last_used) > LAST_USED_SLACK:
                    self._conn.execute(
                        "UPDATE attributes SET last_used = ? WHERE id = ?", (when, attr_id)
                    )
                else:
                    when = float(last_used)
                break
        if not attr_id:
            attr_id = int(
                self._conn.execute(
                    "INSERT INTO attributes (hash, last_used, shared) VALUES (?, ?, ?) "
                    "RETURNING id",
                    (key, when, shared),
                ).fetchone()[0]
            )
        self._remember(digest, attr_id, when)
        return attr_id

    def _remember(self, digest: bytes, attr_id: int, last_used: float) -> None:
        self._attributes[digest] = (attr_id, last_used)
        if len(self._attributes) > ATTRIBUTE_CACHE:
            self._attributes.popitem(last=False)

    # Contexts and events.

    def _context(self, event: Event, states: bool) -> int | None:
        """The contexts row of the event's context; for states only when it says something."""
        context = event.context
        now = event.time_fired.timestamp()
        cached = self._contexts.get(context.id)
        # An old entry may have been purged by `hearth recorder purge`: look it up again.
        if cached is not None and now - cached[1] <= LAST_USED_SLACK:
            return cached[0]
        if states and cached is None and context.user_id is None and context.parent_id is None:
            return None
        row = self._conn.execute(
            "INSERT INTO contexts (context_id, user_id, parent_id, time) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (context_id) DO UPDATE SET time = max(time, excluded.time) "
            "RETURNING id",
            (context.id, context.user_id, context.parent_id, now),
        ).fetchone()
        self._contexts[context.id] = (int(row[0]), now)
        if len(self._contexts) > CONTEXT_CACHE:
            self._contexts.popitem(last=False)
        return int(row[0])

    def _event(self, event: Event) -> None:
        data: bytes | None = None
        context: int | None = None
        if event.event_type == EVENT_CALL_SERVICE:
            data = _service_data(event.data)
            context = self._context(event, states=False)
        elif event.event_type == EVENT_LOGBOOK_ENTRY:
            data = _entry_data(event.data)
            context = self._context(event, states=False)
        self._conn.execute(
            "INSERT INTO events (time, type, context, data) VALUES (?, ?, ?, ?)",
            (event.time_fired.timestamp(), event.event_type, context, data),
        )
