"""Records of changes and events become rows of the history database, one batch per
transaction.

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
from typing import Any, Final

from hearth.core.context import Context
from hearth.core.events import EVENT_STATE_CHANGED, Event
from hearth.recorder.filters import AttributeFilter
from hearth.recorder.items import Change, Fired, attribute_json, change_of, fired_of

# A set's last_used is rewritten when it is this much older than the state using it: the purge
# keeps sets used within this margin of its cut-off.
LAST_USED_SLACK: Final = 3600.0
CONTEXT_CACHE: Final = 10_000
ATTRIBUTE_CACHE: Final = 10_000


class BatchWriter:
    """Writes batches of records on one connection (the caller owns the thread)."""

    def __init__(self, conn: sqlite3.Connection, attributes: AttributeFilter) -> None:
        self._conn = conn
        self._filter = attributes
        self._entities: dict[str, tuple[int, bool]] = {}
        self._last_updated: dict[int, float] = {}
        self._attributes: OrderedDict[bytes, tuple[int, float]] = OrderedDict()
        # The attributes mapping of each entity's last state and its digest: the state machine
        # keeps the same mapping while the attributes stay equal, so those skip the JSON.
        self._last_set: dict[int, tuple[Mapping[str, Any], bytes]] = {}
        self._contexts: OrderedDict[str, tuple[int, float]] = OrderedDict()

    def forget(self) -> None:
        """Drop every cache (after a rollback or a purge)."""
        self._entities.clear()
        self._last_updated.clear()
        self._attributes.clear()
        self._last_set.clear()
        self._contexts.clear()

    def write(self, items: Iterable[Change | Fired | Event]) -> int:
        """Write the records (events are turned into records) in one transaction; returns the
        state rows written. sqlite3.Error propagates after a rollback (caches dropped)."""
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            rows: list[tuple[Any, ...]] = []
            for item in items:
                if isinstance(item, Event):
                    item = (
                        change_of(item, self._filter)
                        if item.event_type == EVENT_STATE_CHANGED
                        else fired_of(item)
                    )
                if isinstance(item, Change):
                    self._change(item, rows)
                else:
                    self._fired(item)
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

    def _change(self, change: Change, rows: list[tuple[Any, ...]]) -> None:
        entity = self._entity(change.entity_id, change)
        last = self._last_updated.get(entity)
        updated = change.updated
        if change.snapshot:
            if last is not None and updated <= last:
                return  # recorded already (or older than what is)
        elif last is not None and updated == last:
            updated = math.nextafter(updated, math.inf)  # the key (entity, time) is unique
        self._last_updated[entity] = updated
        if change.state is None:
            context = self._context(change.context, updated, states=True)
            rows.append((entity, updated, None, None, None, context))
            return
        # changed = updated (not NULL) marks an appearance: the logbook shows changes only.
        changed = updated if change.appeared else change.changed
        attributes = self._attribute_set(entity, change, updated)
        context = self._context(change.context, updated, states=True)
        rows.append((entity, updated, changed, change.state, attributes, context))

    def _entity(self, entity_id: str, change: Change) -> int:
        continuous = change.state is not None and change.continuous
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
        if change.state is not None and found[1] != continuous:
            self._conn.execute(
                "UPDATE entities SET continuous = ? WHERE id = ?", (int(continuous), found[0])
            )
            found = (found[0], continuous)
            self._entities[entity_id] = found
        return found[0]

    def _attribute_set(self, entity: int, change: Change, when: float) -> int:
        shared = change.shared
        if shared is not None:
            digest = hashlib.blake2b(shared, digest_size=16).digest()
            self._last_set.pop(entity, None)
        else:
            mapping = change.attributes or {}
            last = self._last_set.get(entity)
            if last is not None and last[0] is mapping:
                digest = last[1]
            else:
                shared = attribute_json(change.entity_id, mapping, self._filter)
                digest = hashlib.blake2b(shared, digest_size=16).digest()
                self._last_set[entity] = (mapping, digest)
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
        if shared is None:
            shared = attribute_json(change.entity_id, change.attributes or {}, self._filter)
        attr_id, when = self._store_set(digest, shared, when)
        self._remember(digest, attr_id, when)
        return attr_id

    def _store_set(self, digest: bytes, shared: bytes, when: float) -> tuple[int, float]:
        """The id of this set in the database (stored now if missing), and its last_used."""
        key = int.from_bytes(digest[:8], "big", signed=True)
        for row_id, last_used, stored in self._conn.execute(
            "SELECT id, last_used, shared FROM attributes WHERE hash = ?", (key,)
        ):
            if stored == shared:
                if when - float(last_used) > LAST_USED_SLACK:
                    self._conn.execute(
                        "UPDATE attributes SET last_used = ? WHERE id = ?", (when, row_id)
                    )
                    return int(row_id), when
                return int(row_id), float(last_used)
        row = self._conn.execute(
            "INSERT INTO attributes (hash, last_used, shared) VALUES (?, ?, ?) RETURNING id",
            (key, when, shared),
        ).fetchone()
        return int(row[0]), when

    def _remember(self, digest: bytes, attr_id: int, last_used: float) -> None:
        self._attributes[digest] = (attr_id, last_used)
        if len(self._attributes) > ATTRIBUTE_CACHE:
            self._attributes.popitem(last=False)

    # Contexts and events.

    def _context(self, context: Context | None, now: float, *, states: bool) -> int | None:
        """The contexts row of a context; for states only when it says something (a user, a
        parent, or a service call stored before)."""
        if context is None:
            return None
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

    def _fired(self, fired: Fired) -> None:
        context = self._context(fired.context, fired.time, states=False)
        self._conn.execute(
            "INSERT INTO events (time, type, context, data) VALUES (?, ?, ?, ?)",
            (fired.time, fired.event_type, context, fired.data),
        )
