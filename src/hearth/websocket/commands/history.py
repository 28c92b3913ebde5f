"""history/history_during_period and history/stream, in Home Assistant's shapes.

Any authenticated user may read history, as in Home Assistant: it holds nothing get_states does
not show (attributes that are never recorded stay out). Reads run in the recorder's reader
thread and are bounded (entities per request, rows per answer, time per query).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated, Any, Final

from pydantic import AfterValidator, Field

from hearth import const
from hearth.core.events import EVENT_STATE_CHANGED
from hearth.core.serialize import dumps
from hearth.core.state import valid_entity_id
from hearth.recorder import history
from hearth.recorder.history import HistoryQuery
from hearth.websocket import protocol
from hearth.websocket.live import LiveStream, check_stream_period, period, recorder_of
from hearth.websocket.spec import CommandSpec, Params, command

if TYPE_CHECKING:
    import sqlite3

    from hearth.core.events import Event
    from hearth.core.state import State
    from hearth.recorder import Recorder
    from hearth.websocket.connection import Connection

TimeText = Annotated[str, Field(min_length=1, max_length=64)]


def _entity_id(value: str) -> str:
    lowered = value.strip().lower() if value.isascii() else value
    if not valid_entity_id(lowered):
        raise ValueError("expected entity ids like light.kitchen")
    return lowered


EntityId = Annotated[str, Field(max_length=const.MAX_ENTITY_ID_LENGTH), AfterValidator(_entity_id)]
EntityIds = Annotated[
    list[EntityId], Field(min_length=1, max_length=const.RECORDER_MAX_QUERY_ENTITIES)
]
EMPTY: Final = b"{}"


class HistoryParams(Params):
    """Fields of history/history_during_period and history/stream."""

    start_time: TimeText
    end_time: TimeText | None = None
    entity_ids: EntityIds
    include_start_time_state: bool = True
    significant_changes_only: bool = True
    minimal_response: bool = False
    no_attributes: bool = False


def _query(params: HistoryParams, start: float, end: float | None) -> HistoryQuery:
    return HistoryQuery(
        start=start,
        end=end,
        entity_ids=tuple(dict.fromkeys(params.entity_ids)),
        include_start_state=params.include_start_time_state,
        significant_only=params.significant_changes_only,
        minimal=params.minimal_response,
        no_attributes=params.no_attributes,
    )


def current_states(
    conn: Connection, recorder: Recorder, entity_ids: tuple[str, ...]
) -> list[State]:
    """The current states of the recorded entities among `entity_ids`."""
    machine = conn.hub.states
    return [
        state
        for entity_id in entity_ids
        if recorder.recorded(entity_id) and (state := machine.get(entity_id)) is not None
    ]


async def read_compressed(
    recorder: Recorder, query: HistoryQuery, current: list[State]
) -> tuple[dict[str, list[dict[str, Any]]], float]:
    """The compressed history and the time of its newest state (0 when empty)."""

    def read(db: sqlite3.Connection) -> tuple[dict[str, list[dict[str, Any]]], float]:
        found, attributes = history.fetch(db, query)
        found = history.with_current_states(found, attributes, query, current)
        states = history.compressed(found, attributes, query)
        newest = max((items[-1]["lu"] for items in states.values()), default=0.0)
        return states, newest

    def empty() -> tuple[dict[str, list[dict[str, Any]]], float]:
        attributes: dict[int, dict[str, Any]] = {}
        found = history.with_current_states({}, attributes, query, current)
        return history.compressed(found, attributes, query), 0.0

    return await recorder.read(read, empty)


@command("history/history_during_period", HistoryParams)
async def history_during_period(conn: Connection, msg_id: int, params: HistoryParams) -> None:
    """The states of some entities over a period: {entity_id: [compressed states]}."""
    start, end = period(conn, params.start_time, params.end_time)
    recorder = recorder_of(conn)
    if recorder is None or start > time.time():
        conn.send_raw_result(msg_id, EMPTY)
        return
    query = _query(params, start, end)
    await recorder.settle(end)
    states, _ = await read_compressed(
        recorder, query, current_states(conn, recorder, query.entity_ids)
    )
    body = dumps(states)
    if conn.has_room(len(body)):
        conn.send_raw_result(msg_id, body)


def _stream_message(states: dict[str, Any], start: float, end: float) -> bytes:
    return dumps({"states": states, "start_time": start, "end_time": end})


def _compressed_live(state: State, no_attributes: bool) -> dict[str, Any]:
    item: dict[str, Any] = {"s": state.state}
    if not no_attributes or state.domain in history.NEED_ATTRIBUTE_DOMAINS:
        item["a"] = state.attributes
    updated = state.last_updated.timestamp()
    item["lu"] = updated
    if state.last_changed != state.last_updated:
        item["lc"] = state.last_changed.timestamp()
    return item


@command("history/stream", HistoryParams)
async def history_stream(conn: Connection, msg_id: int, params: HistoryParams) -> None:
    """The history of a period now, then each significant change as it happens (until
    end_time, when given, or until unsubscribed)."""
    start, end = period(conn, params.start_time, params.end_time)
    check_stream_period(start, end)
    recorder = recorder_of(conn)
    query = _query(params, start, end)
    conn.ensure_subscription_room()
    now = time.time()
    if recorder is None or (end is not None and end <= now):
        states: dict[str, list[dict[str, Any]]] = {}
        newest = 0.0
        if recorder is not None:
            await recorder.settle(end)
            current = current_states(conn, recorder, query.entity_ids)
            states, newest = await read_compressed(recorder, query, current)
        body = _stream_message(states, start, newest or (end or now))
        if conn.has_room(len(body)):
            conn.subscriptions[msg_id] = _nothing  # ended already; unsubscribing is harmless
            conn.send_result(msg_id)
            conn.send(protocol.event_message(protocol.event_prefix(msg_id), body))
        return
    wanted = frozenset(query.entity_ids)
    changes_only = params.significant_changes_only or params.minimal_response

    def convert(events: list[Event]) -> bytes | None:
        out: dict[str, list[dict[str, Any]]] = {}
        for event in events:
            new: State = event.data["new_state"]
            out.setdefault(new.entity_id, []).append(_compressed_live(new, params.no_attributes))
        return dumps({"states": out}) if out else None

    stream = LiveStream(conn, msg_id, convert)

    def listen(event: Event) -> None:
        data = event.data
        new, old = data.get("new_state"), data.get("old_state")
        if new is None or old is None or new.entity_id not in wanted:
            return
        if (
            changes_only
            and new.state == old.state
            and new.domain not in history.SIGNIFICANT_DOMAINS
        ):
            return
        stream.add(event)

    # No await between these lines: no change falls between the past and the live part.
    stream.unsubscribes.append(conn.hub.bus.listen(EVENT_STATE_CHANGED, listen))
    conn.subscriptions[msg_id] = stream.close
    listening_since = time.time()
    past = HistoryQuery(
        query.start, listening_since, query.entity_ids, query.include_start_state,
        query.significant_only, query.minimal, query.no_attributes,
    )  # fmt: skip
    try:
        await recorder.flush()  # what was queued before listening is in the database now
        states, newest = await read_compressed(
            recorder, past, current_states(conn, recorder, query.entity_ids)
        )
    except BaseException:
        stream.close()
        conn.subscriptions.pop(msg_id, None)
        raise
    if not stream.active_on(conn, msg_id):
        return
    body = _stream_message(states, start, newest or listening_since)
    if not conn.has_room(len(body)):
        return
    conn.send_result(msg_id)
    stream.send(body)
    stream.go_live(end)


def _nothing() -> None:
    """Unsubscribing from a stream that has already ended."""


COMMANDS: Final[tuple[CommandSpec[Any], ...]] = (history_during_period, history_stream)
