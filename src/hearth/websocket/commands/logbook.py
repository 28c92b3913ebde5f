"""logbook/get_events and logbook/event_stream, in Home Assistant's shapes.

Entries say what changed and who caused it (context_user_id, and the service call). Any
authenticated user may read the logbook, as in Home Assistant. Bounded like the history.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Annotated, Any, Final

from pydantic import Field

from hearth import const
from hearth.core.events import (
    EVENT_CALL_SERVICE,
    EVENT_HUB_START,
    EVENT_HUB_STOP,
    EVENT_STATE_CHANGED,
)
from hearth.core.serialize import dumps
from hearth.recorder import logbook
from hearth.recorder.items import EVENT_LOGBOOK_ENTRY, is_continuous
from hearth.recorder.logbook import LogbookQuery
from hearth.websocket import protocol
from hearth.websocket.commands.history import EntityId, TimeText
from hearth.websocket.live import LiveStream, check_stream_period, period, recorder_of
from hearth.websocket.spec import CommandSpec, Params, command

if TYPE_CHECKING:
    import sqlite3

    from hearth.core.events import Event
    from hearth.recorder import Recorder
    from hearth.websocket.connection import Connection

DeviceId = Annotated[str, Field(min_length=1, max_length=64)]
MAX_LIVE_CALLS: Final = 256


class EventStreamParams(Params):
    """Fields of logbook/event_stream."""

    start_time: TimeText
    end_time: TimeText | None = None
    entity_ids: (
        Annotated[list[EntityId], Field(max_length=const.RECORDER_MAX_QUERY_ENTITIES)] | None
    ) = None
    device_ids: (
        Annotated[list[DeviceId], Field(max_length=const.RECORDER_MAX_QUERY_ENTITIES)] | None
    ) = None


class GetEventsParams(EventStreamParams):
    """Fields of logbook/get_events."""

    context_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None


def _entities(conn: Connection, params: EventStreamParams) -> tuple[str, ...] | None:
    """The entity ids asked for (those of the devices included); None for every entity."""
    if not params.entity_ids and not params.device_ids:
        return None
    wanted = dict.fromkeys(params.entity_ids or ())
    if params.device_ids:
        devices = set(params.device_ids)
        for entry in conn.hub.registries.entities.as_list():
            if entry.get("device_id") in devices:
                wanted[entry["entity_id"]] = None
    return tuple(wanted)


async def _read(recorder: Recorder, query: LogbookQuery) -> list[dict[str, Any]]:
    def read(db: sqlite3.Connection) -> list[dict[str, Any]]:
        return logbook.fetch_entries(db, query, iso=False, names=None)

    return await recorder.read(read, list)


@command("logbook/get_events", GetEventsParams)
async def get_events(conn: Connection, msg_id: int, params: GetEventsParams) -> None:
    """The logbook entries of a period, oldest first."""
    start, end = period(conn, params.start_time, params.end_time)
    recorder = recorder_of(conn)
    entity_ids = _entities(conn, params)
    if recorder is None or start > time.time() or entity_ids == ():
        conn.send_raw_result(msg_id, b"[]")
        return
    query = LogbookQuery(
        start, end if end is not None else time.time(), entity_ids, params.context_id
    )
    await recorder.settle(end)
    body = dumps(await _read(recorder, query))
    if conn.has_room(len(body)):
        conn.send_raw_result(msg_id, body)


def _message(events: list[dict[str, Any]], start: float, end: float) -> bytes:
    return dumps({"events": events, "start_time": start, "end_time": end})


@command("logbook/event_stream", EventStreamParams)
async def event_stream(conn: Connection, msg_id: int, params: EventStreamParams) -> None:
    """The logbook of a period now, then new entries as they happen (until end_time, when
    given, or until unsubscribed)."""
    start, end = period(conn, params.start_time, params.end_time)
    check_stream_period(start, end)
    recorder = recorder_of(conn)
    entity_ids = _entities(conn, params)
    conn.ensure_subscription_room()
    now = time.time()
    if recorder is None or entity_ids == () or (end is not None and end <= now):
        events: list[dict[str, Any]] = []
        if recorder is not None and entity_ids != ():
            await recorder.settle(end)
            events = await _read(recorder, LogbookQuery(start, end, entity_ids))
        body = _message(events, start, end if end is not None else now)
        if conn.has_room(len(body)):
            conn.subscriptions[msg_id] = _nothing  # ended already; unsubscribing is harmless
            conn.send_result(msg_id)
            conn.send(protocol.event_message(protocol.event_prefix(msg_id), body))
        return
    wanted = frozenset(entity_ids) if entity_ids is not None else None
    calls: OrderedDict[str, tuple[str, str]] = OrderedDict()

    def convert(live: list[Event]) -> bytes | None:
        entries: list[dict[str, Any]] = []
        for event in live:
            fired = event.time_fired.timestamp()
            if event.event_type == EVENT_CALL_SERVICE:
                calls[event.context.id] = (str(event.data["domain"]), str(event.data["service"]))
                if len(calls) > MAX_LIVE_CALLS:
                    calls.popitem(last=False)
            elif event.event_type == EVENT_STATE_CHANGED:
                new = event.data["new_state"]
                entries.append(
                    logbook.state_entry(
                        new.entity_id,
                        new.state,
                        new.last_updated.timestamp(),
                        user_id=event.context.user_id,
                        call=calls.get(event.context.id),
                        iso=False,
                    )
                )
            elif event.event_type == EVENT_LOGBOOK_ENTRY:
                entry = logbook.logbook_entry(event.data, fired, iso=False)
                logbook.augment(entry, event.context.user_id, None)
                entries.append(entry)
            else:
                entries.append(logbook.hub_entry(event.event_type, fired, iso=False))
        return dumps({"events": entries}) if entries else None

    stream = LiveStream(conn, msg_id, convert)

    def on_state(event: Event) -> None:
        data = event.data
        new, old = data.get("new_state"), data.get("old_state")
        if new is None or old is None or new.state == old.state:
            return
        entity_id = new.entity_id
        if wanted is not None and entity_id not in wanted:
            return
        if wanted is None and not recorder.recorded(entity_id):
            return
        if not is_continuous(entity_id, new.attributes):
            stream.add(event)

    def on_entry(event: Event) -> None:
        if wanted is None or event.data.get("entity_id") in wanted:
            stream.add(event)

    bus = conn.hub.bus
    # No await between these lines: no change falls between the past and the live part.
    stream.unsubscribes.append(bus.listen(EVENT_STATE_CHANGED, on_state))
    stream.unsubscribes.append(bus.listen(EVENT_CALL_SERVICE, stream.add))
    stream.unsubscribes.append(bus.listen(EVENT_LOGBOOK_ENTRY, on_entry))
    if wanted is None:
        for event_type in (EVENT_HUB_START, EVENT_HUB_STOP):
            stream.unsubscribes.append(bus.listen(event_type, stream.add))
    conn.subscriptions[msg_id] = stream.close
    listening_since = time.time()
    try:
        await recorder.flush()
        past = await _read(recorder, LogbookQuery(start, listening_since, entity_ids))
    except BaseException:
        stream.close()
        conn.subscriptions.pop(msg_id, None)
        raise
    if not stream.active_on(conn, msg_id):
        return
    body = _message(past, start, listening_since)
    if not conn.has_room(len(body)):
        return
    conn.send_result(msg_id)
    stream.send(body)
    stream.go_live(end)


def _nothing() -> None:
    """Unsubscribing from a stream that has already ended."""


COMMANDS: Final[tuple[CommandSpec[Any], ...]] = (get_events, event_stream)
