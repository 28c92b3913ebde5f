"""Logbook entries in Home Assistant's shape: state changes, who caused them, hub events.

An entry for a state change: {"when", "state", "entity_id"} plus, when known,
"context_user_id" (the user whose call changed it) and "context_event_type",
"context_domain", "context_service" (the service call that changed it). Sensors that measure
(a unit or a state class) are left out, as Home Assistant does: their changes are history, not
events. Queries run in the reader thread; `live` entries are built on the event loop.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import orjson

from hearth import const
from hearth.core.events import EVENT_CALL_SERVICE, EVENT_HUB_START, EVENT_HUB_STOP
from hearth.exceptions import BadRequest
from hearth.isotime import utc_iso
from hearth.recorder.history import FAR_FUTURE, entity_ids_to_rows
from hearth.recorder.items import EVENT_LOGBOOK_ENTRY, LOGBOOK_ENTRY_KEYS

HUB_EVENTS: Final = {EVENT_HUB_START: "started", EVENT_HUB_STOP: "stopped"}
HUB_NAME: Final = "Hearth"
# A service call is looked for this long before the period: its changes may fall just inside.
CALL_LOOKBACK: Final = 60.0
_CHUNK: Final = 500

Call = tuple[str, str]  # domain, service


@dataclass(frozen=True, slots=True)
class LogbookQuery:
    """A period and, optionally, the entities or the one context it is about."""

    start: float
    end: float | None
    entity_ids: tuple[str, ...] | None = None
    context_id: str | None = None


def when(timestamp: float, iso: bool) -> float | str:
    """The entry's time: seconds (WebSocket) or ISO 8601 (REST)."""
    return utc_iso(timestamp) if iso else timestamp


def state_entry(
    entity_id: str,
    state: str,
    timestamp: float,
    *,
    user_id: str | None,
    call: Call | None,
    iso: bool,
    name: str | None = None,
) -> dict[str, Any]:
    """The entry for one state change."""
    entry: dict[str, Any] = {"when": when(timestamp, iso), "state": state, "entity_id": entity_id}
    if name is not None:
        entry["name"] = name
    augment(entry, user_id, call)
    return entry


def augment(entry: dict[str, Any], user_id: str | None, call: Call | None) -> None:
    """Add who and which service call caused the entry, when known."""
    if user_id is not None:
        entry["context_user_id"] = user_id
    if call is not None:
        entry["context_event_type"] = EVENT_CALL_SERVICE
        entry["context_domain"], entry["context_service"] = call


def hub_entry(event_type: str, timestamp: float, iso: bool) -> dict[str, Any]:
    """The entry for the hub starting or stopping."""
    return {
        "when": when(timestamp, iso),
        "name": HUB_NAME,
        "message": HUB_EVENTS[event_type],
        "domain": "homeassistant",
    }


def logbook_entry(data: Mapping[str, Any], timestamp: float, iso: bool) -> dict[str, Any]:
    """The entry of a logbook_entry event (its name, message, domain and entity id)."""
    entry: dict[str, Any] = {"when": when(timestamp, iso)}
    for key in LOGBOOK_ENTRY_KEYS:
        entry[key] = data.get(key)
    if entry["domain"] is None and isinstance(entry["entity_id"], str):
        entry["domain"] = entry["entity_id"].partition(".")[0]
    return entry


def _logbook_entities(conn: sqlite3.Connection, query: LogbookQuery) -> list[tuple[str, int]]:
    """(entity id, row id) of the entities whose changes are entries."""
    if query.entity_ids is not None:
        ids = entity_ids_to_rows(conn, query.entity_ids)
        continuous = {
            int(row[0])
            for row in conn.execute("SELECT id FROM entities WHERE continuous = 1").fetchall()
        }
        return [
            (eid, ids[eid]) for eid in query.entity_ids if eid in ids and ids[eid] not in continuous
        ]
    rows = conn.execute("SELECT entity_id, id FROM entities WHERE continuous = 0 ORDER BY id")
    return [(str(entity_id), int(row_id)) for entity_id, row_id in rows]


def _contexts(conn: sqlite3.Connection, ids: Iterable[int]) -> dict[int, tuple[str, str | None]]:
    wanted = sorted(set(ids))
    found: dict[int, tuple[str, str | None]] = {}
    for index in range(0, len(wanted), _CHUNK):
        chunk = wanted[index : index + _CHUNK]
        marks = ",".join("?" * len(chunk))
        for row_id, context_id, user_id in conn.execute(
            f"SELECT id, context_id, user_id FROM contexts WHERE id IN ({marks})",  # noqa: S608
            chunk,
        ):
            found[int(row_id)] = (str(context_id), user_id)
    return found


def fetch_entries(
    conn: sqlite3.Connection, query: LogbookQuery, *, iso: bool, names: Mapping[str, str] | None
) -> list[dict[str, Any]]:
    """The entries of the period, oldest first; BadRequest beyond RECORDER_MAX_QUERY_ROWS."""
    limit = const.RECORDER_MAX_QUERY_ROWS
    end = query.end if query.end is not None else FAR_FUTURE
    only_context: int | None = None
    if query.context_id is not None:
        row = conn.execute(
            "SELECT id FROM contexts WHERE context_id = ?", (query.context_id,)
        ).fetchone()
        if row is None:
            return []
        only_context = int(row[0])
    where = "entity = ? AND updated > ? AND updated < ? AND changed IS NULL AND state IS NOT NULL"
    if only_context is not None:
        where += " AND context = ?"
    changes: list[tuple[float, str, str, int | None]] = []
    for entity_id, entity in _logbook_entities(conn, query):
        params: tuple[Any, ...] = (entity, query.start, end)
        if only_context is not None:
            params += (only_context,)
        for updated, state, context in conn.execute(
            f"SELECT updated, state, context FROM states WHERE {where} "  # noqa: S608
            "ORDER BY updated LIMIT ?",
            (*params, limit + 1 - len(changes)),
        ):
            changes.append((float(updated), entity_id, str(state), context))
        if len(changes) > limit:
            raise _too_many()
    events = conn.execute(
        "SELECT time, type, context, data FROM events WHERE time > ? AND time < ? "
        "ORDER BY time LIMIT ?",
        (query.start - CALL_LOOKBACK, end, limit + 1),
    ).fetchall()
    if len(events) > limit:
        raise _too_many()
    contexts = _contexts(
        conn, [c[3] for c in changes if c[3] is not None] + [e[2] for e in events if e[2]]
    )
    calls: dict[int, Call] = {}
    entries: list[tuple[float, dict[str, Any]]] = []
    for time_fired, event_type, context, data in events:
        decoded = orjson.loads(data) if data else {}
        if event_type == EVENT_CALL_SERVICE and context is not None:
            calls.setdefault(
                int(context), (str(decoded.get("domain")), str(decoded.get("service")))
            )
            continue
        if time_fired <= query.start or (only_context is not None and context != only_context):
            continue
        if event_type in HUB_EVENTS and query.entity_ids is None:
            entries.append((time_fired, hub_entry(event_type, time_fired, iso)))
        elif event_type == EVENT_LOGBOOK_ENTRY and isinstance(decoded, dict):
            wanted = query.entity_ids is None or decoded.get("entity_id") in query.entity_ids
            if wanted:
                entry = logbook_entry(decoded, time_fired, iso)
                augment(entry, contexts.get(context, ("", None))[1] if context else None, None)
                entries.append((time_fired, entry))
    for updated, entity_id, state, context in changes:
        user_id = contexts[context][1] if context in contexts else None
        call = calls.get(context) if context is not None else None
        name = names.get(entity_id, entity_id) if names is not None else None
        entry = state_entry(
            entity_id, state, updated, user_id=user_id, call=call, iso=iso, name=name
        )
        entries.append((updated, entry))
    entries.sort(key=lambda item: item[0])
    return [entry for _, entry in entries]


def _too_many() -> BadRequest:
    return BadRequest(
        f"The period holds more than {const.RECORDER_MAX_QUERY_ROWS} logbook entries; ask for "
        "a shorter period or fewer entities."
    )
