"""History queries in Home Assistant's shapes: compressed (WebSocket) and full (REST).

Runs in the reader thread. One entity's period is one range of the clustered `states` table;
the state in force at the start comes from one more seek. Bounded: at most
RECORDER_MAX_QUERY_ENTITIES entities and RECORDER_MAX_QUERY_ROWS rows per answer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import orjson

from hearth import const
from hearth.core.state import State
from hearth.exceptions import BadRequest
from hearth.isotime import utc_iso

# Home Assistant's lists: these domains' attribute changes count as history, and their
# attributes are always sent (a thermostat's target temperature is what its graph shows).
SIGNIFICANT_DOMAINS: Final = frozenset(
    {"climate", "device_tracker", "humidifier", "thermostat", "water_heater"}
)
NEED_ATTRIBUTE_DOMAINS: Final = frozenset(
    {"climate", "humidifier", "input_datetime", "thermostat", "water_heater"}
)
FAR_FUTURE: Final = 1e300
_CHUNK: Final = 500

Row = tuple[float, float | None, str | None, int | None]  # updated, changed, state, attributes


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    """What a client asked for; times are seconds since the epoch."""

    start: float
    end: float | None
    entity_ids: tuple[str, ...]
    include_start_state: bool = True
    significant_only: bool = True
    minimal: bool = False
    no_attributes: bool = False


def too_much() -> BadRequest:
    """The error for an answer that would exceed RECORDER_MAX_QUERY_ROWS."""
    return BadRequest(
        f"The period holds more than {const.RECORDER_MAX_QUERY_ROWS} states; ask for a shorter "
        "period or fewer entities."
    )


def entity_ids_to_rows(conn: sqlite3.Connection, entity_ids: Iterable[str]) -> dict[str, int]:
    """The database ids of the entity ids that have ever been recorded."""
    found: dict[str, int] = {}
    wanted = list(dict.fromkeys(entity_ids))
    for index in range(0, len(wanted), _CHUNK):
        chunk = wanted[index : index + _CHUNK]
        marks = ",".join("?" * len(chunk))
        for row_id, entity_id in conn.execute(
            f"SELECT id, entity_id FROM entities WHERE entity_id IN ({marks})",  # noqa: S608
            chunk,
        ):
            found[entity_id] = int(row_id)
    return found


def load_attributes(conn: sqlite3.Connection, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Attribute sets by id, decoded once each."""
    wanted = sorted(set(ids))
    found: dict[int, dict[str, Any]] = {}
    for index in range(0, len(wanted), _CHUNK):
        chunk = wanted[index : index + _CHUNK]
        marks = ",".join("?" * len(chunk))
        for row_id, shared in conn.execute(
            f"SELECT id, shared FROM attributes WHERE id IN ({marks})",  # noqa: S608
            chunk,
        ):
            value = orjson.loads(shared)
            found[int(row_id)] = value if isinstance(value, dict) else {}
    return found


def _rows(
    conn: sqlite3.Connection, entity: int, query: HistoryQuery, significant: bool, limit: int
) -> tuple[Row | None, list[Row]]:
    """The state at the start (if asked for) and the rows of the period, oldest first."""
    start_row: Row | None = None
    if query.include_start_state:
        found = conn.execute(
            "SELECT updated, changed, state, attributes FROM states "
            "WHERE entity = ? AND updated <= ? ORDER BY updated DESC LIMIT 1",
            (entity, query.start),
        ).fetchone()
        if found is not None and found[2] is not None:
            start_row = found
    where = "entity = ? AND updated > ? AND updated < ?"
    if significant:
        where += " AND (changed IS NULL OR changed = updated)"
    rows = conn.execute(
        f"SELECT updated, changed, state, attributes FROM states WHERE {where} "  # noqa: S608
        "ORDER BY updated LIMIT ?",
        (entity, query.start, query.end if query.end is not None else FAR_FUTURE, limit),
    ).fetchall()
    return start_row, [row for row in rows if row[2] is not None]


def fetch(
    conn: sqlite3.Connection, query: HistoryQuery
) -> tuple[dict[str, tuple[Row | None, list[Row]]], dict[int, dict[str, Any]]]:
    """Per entity (in the order asked, recorded ones only): start row and period rows; and
    the attribute sets they use (none with no_attributes). BadRequest when there are too many."""
    ids = entity_ids_to_rows(conn, query.entity_ids)
    result: dict[str, tuple[Row | None, list[Row]]] = {}
    budget = const.RECORDER_MAX_QUERY_ROWS
    for entity_id in query.entity_ids:
        entity = ids.get(entity_id)
        if entity is None:
            continue
        domain = entity_id.partition(".")[0]
        significant = query.significant_only and domain not in SIGNIFICANT_DOMAINS
        start_row, rows = _rows(conn, entity, query, significant, budget + 1)
        budget -= len(rows) + (start_row is not None)
        if budget < 0:
            raise too_much()
        result[entity_id] = (start_row, rows)
    attribute_ids: set[int] = set()
    if not query.no_attributes:
        for start_row, rows in result.values():
            for row in (start_row, *rows):
                if row is not None and row[3] is not None:
                    attribute_ids.add(row[3])
    return result, load_attributes(conn, attribute_ids)


def compressed(
    found: Mapping[str, tuple[Row | None, list[Row]]],
    attributes: Mapping[int, dict[str, Any]],
    query: HistoryQuery,
) -> dict[str, list[dict[str, Any]]]:
    """The WebSocket shape: {entity_id: [{"s", "a"?, "lu", "lc"?}, ...]} (non-empty lists)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for entity_id, (start_row, rows) in found.items():
        full = not query.minimal or entity_id.partition(".")[0] in NEED_ATTRIBUTE_DOMAINS
        states: list[dict[str, Any]] = []
        if start_row is not None:
            states.append(_compressed_row(start_row, attributes, query, at=query.start))
        previous = states[-1]["s"] if states else None
        for row in rows:
            if full or not states:
                states.append(_compressed_row(row, attributes, query))
            elif row[2] != previous:
                states.append({"s": row[2], "lu": row[0]})
            previous = row[2]
        if states:
            out[entity_id] = states
    return out


def _compressed_row(
    row: Row, attributes: Mapping[int, dict[str, Any]], query: HistoryQuery, at: float | None = None
) -> dict[str, Any]:
    updated, changed, state, attribute_id = row
    item: dict[str, Any] = {"s": state}
    if not query.no_attributes:
        item["a"] = attributes.get(attribute_id, {}) if attribute_id is not None else {}
    if at is not None:
        item["lu"] = at  # the state in force at the start, shown from the start
        return item
    item["lu"] = updated
    if changed is not None and changed != updated:
        item["lc"] = changed
    return item


def full(
    found: Mapping[str, tuple[Row | None, list[Row]]],
    attributes: Mapping[int, dict[str, Any]],
    query: HistoryQuery,
) -> list[list[dict[str, Any]]]:
    """The REST shape: a list per entity of {entity_id, state, attributes, last_changed,
    last_updated}; with minimal_response, the later ones only {state, last_changed}."""
    out: list[list[dict[str, Any]]] = []
    for entity_id, (start_row, rows) in found.items():
        minimal = query.minimal and entity_id.partition(".")[0] not in NEED_ATTRIBUTE_DOMAINS
        states: list[dict[str, Any]] = []
        if start_row is not None:
            states.append(_full_row(entity_id, start_row, attributes, query, at=query.start))
        previous = states[-1]["state"] if states else None
        for row in rows:
            if not minimal or not states:
                states.append(_full_row(entity_id, row, attributes, query))
            elif row[2] != previous:
                states.append({"state": row[2], "last_changed": utc_iso(row[0])})
            previous = row[2]
        if states:
            out.append(states)
    return out


def _full_row(
    entity_id: str,
    row: Row,
    attributes: Mapping[int, dict[str, Any]],
    query: HistoryQuery,
    at: float | None = None,
) -> dict[str, Any]:
    updated, changed, state, attribute_id = row
    shown = {} if query.no_attributes or attribute_id is None else attributes.get(attribute_id, {})
    last_updated = utc_iso(at if at is not None else updated)
    last_changed = (
        last_updated if at is not None or changed in (None, updated) else utc_iso(changed)
    )
    return {
        "entity_id": entity_id,
        "state": state,
        "attributes": shown,
        "last_changed": last_changed,
        "last_updated": last_updated,
    }


def with_current_states(
    found: dict[str, tuple[Row | None, list[Row]]],
    attributes: dict[int, dict[str, Any]],
    query: HistoryQuery,
    current: Sequence[State],
) -> dict[str, tuple[Row | None, list[Row]]]:
    """`found` plus the entities with no recorded row (purged) that have not changed since
    before the start: their state at the start is their current state. In the order asked."""
    if not query.include_start_state:
        return found
    added = dict(found)
    for number, state in enumerate(current, 1):
        start_row, rows = found.get(state.entity_id, (None, []))
        if start_row is not None or rows or state.last_updated.timestamp() > query.start:
            continue
        attribute_id = -number  # not a database id: these attributes are the current ones
        attributes[attribute_id] = dict(state.attributes)
        added[state.entity_id] = ((query.start, None, state.state, attribute_id), [])
    return {entity_id: added[entity_id] for entity_id in query.entity_ids if entity_id in added}
