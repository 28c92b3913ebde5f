"""History and logbook over REST: GET /api/history/period[/<time>], GET /api/logbook[/<time>].

Any authenticated user may read them, as in Home Assistant (the auth middleware has already
checked the token). Bounded like the WebSocket commands: entities per request, rows per
answer, time per query; the reads run in the recorder's reader thread.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from aiohttp import web

from hearth import const
from hearth.api.helpers import hub_of
from hearth.core.serialize import dumps
from hearth.core.state import valid_entity_id
from hearth.exceptions import BadRequest, InvalidEntityId
from hearth.http.view import raw_json_response
from hearth.recorder import KEY_RECORDER, history, logbook
from hearth.recorder.history import HistoryQuery
from hearth.recorder.logbook import LogbookQuery
from hearth.recorder.times import parse_time

if TYPE_CHECKING:
    import sqlite3

    from hearth.recorder import Recorder

routes = web.RouteTableDef()

DAY = 86400.0
MAX_PERIOD_DAYS = 31  # `period` of the logbook


def _recorder(request: web.Request) -> Recorder | None:
    return request.app.get(KEY_RECORDER)


def _time(request: web.Request, text: str, message: str) -> float:
    parsed = parse_time(text, hub_of(request).config.time_zone)
    if parsed is None:
        raise BadRequest(message)
    return parsed


def _entity_ids(text: str) -> tuple[str, ...]:
    """A comma-separated list of entity ids, lower-cased; InvalidEntityId otherwise."""
    ids = tuple(dict.fromkeys(part.strip().lower() for part in text.split(",") if part.strip()))
    if len(ids) > const.RECORDER_MAX_QUERY_ENTITIES:
        raise BadRequest(f"At most {const.RECORDER_MAX_QUERY_ENTITIES} entity ids per request.")
    if not all(entity_id.isascii() and valid_entity_id(entity_id) for entity_id in ids):
        raise InvalidEntityId("Invalid entity id(s): expected ids like light.kitchen.")
    return ids


@routes.get("/api/history/period")
@routes.get("/api/history/period/{datetime}")
async def history_period(request: web.Request) -> web.Response:
    """A list per entity of its states over the period (one day from the time by default)."""
    text = request.match_info.get("datetime")
    now = time.time()
    start = _time(request, text, "Invalid datetime") if text else now - DAY
    query_args = request.query
    end_text = query_args.get("end_time")
    end = _time(request, end_text, "Invalid end_time") if end_text else start + DAY
    ids_text = query_args.get("filter_entity_id")
    if not ids_text:
        raise BadRequest("filter_entity_id is missing")
    entity_ids = _entity_ids(ids_text)
    recorder = _recorder(request)
    if start > now or recorder is None or not entity_ids:
        return raw_json_response(b"[]")
    query = HistoryQuery(
        start=start,
        end=end,
        entity_ids=entity_ids,
        include_start_state="skip_initial_state" not in query_args,
        significant_only=query_args.get("significant_changes_only", "1") != "0",
        minimal="minimal_response" in query_args,
        no_attributes="no_attributes" in query_args,
    )
    machine = hub_of(request).states
    current = [
        state
        for entity_id in entity_ids
        if recorder.recorded(entity_id) and (state := machine.get(entity_id)) is not None
    ]

    def read(db: sqlite3.Connection) -> bytes:
        found, attributes = history.fetch(db, query)
        found = history.with_current_states(found, attributes, query, current)
        return dumps(history.full(found, attributes, query))

    def empty() -> bytes:
        attributes: dict[int, dict[str, Any]] = {}
        found = history.with_current_states({}, attributes, query, current)
        return dumps(history.full(found, attributes, query))

    await recorder.settle(end)
    return raw_json_response(await recorder.read(read, empty))


def _start_of_day(request: web.Request) -> float:
    zone = ZoneInfo(hub_of(request).config.time_zone)
    today = datetime.now(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    return today.timestamp()


def _period_days(text: str | None) -> int:
    if text is None:
        return 1
    if not text.isdigit() or not 1 <= int(text) <= MAX_PERIOD_DAYS:
        raise BadRequest(f"period must be a number of days from 1 to {MAX_PERIOD_DAYS}.")
    return int(text)


@routes.get("/api/logbook")
@routes.get("/api/logbook/{datetime}")
async def logbook_period(request: web.Request) -> web.Response:
    """The logbook entries of a period (the day of the time, or `period` days, by default)."""
    text = request.match_info.get("datetime")
    start = _time(request, text, "Invalid datetime") if text else _start_of_day(request)
    query_args = request.query
    days = _period_days(query_args.get("period"))
    end_text = query_args.get("end_time")
    if end_text:
        end = _time(request, end_text, "Invalid end_time")
    else:
        start -= (days - 1) * DAY
        end = start + days * DAY
    ids_text = query_args.get("entity") or query_args.get("filter_entity_id")
    entity_ids = _entity_ids(ids_text) if ids_text else None
    context_id = query_args.get("context_id")
    if entity_ids and context_id:
        raise BadRequest("Can't combine entity with context_id")
    if context_id is not None and not 0 < len(context_id) <= 64:
        raise BadRequest("Invalid context_id")
    recorder = _recorder(request)
    if recorder is None or start > time.time() or entity_ids == ():
        return raw_json_response(b"[]")
    names = {state.entity_id: state.name for state in hub_of(request).states.all()}
    query = LogbookQuery(start, end, entity_ids, context_id)

    def read(db: sqlite3.Connection) -> bytes:
        entries: list[dict[str, Any]] = logbook.fetch_entries(db, query, iso=True, names=names)
        return dumps(entries)

    await recorder.settle(end)
    return raw_json_response(await recorder.read(read, lambda: b"[]"))
