"""Live streams of history and logbook: past data first, then changes as they happen.

Events that arrive while the past is being read wait in a bounded buffer and follow it; live
events are sent in groups (at most one message per COALESCE seconds, as Home Assistant does).
A client that lets more than MAX_PENDING events pile up loses the stream, as in Home Assistant.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from hearth.exceptions import InvalidEndTime, InvalidStartTime
from hearth.recorder import KEY_RECORDER
from hearth.recorder.times import parse_time
from hearth.websocket import protocol

if TYPE_CHECKING:
    from hearth.core.events import Event
    from hearth.recorder import Recorder
    from hearth.websocket.connection import Connection

COALESCE: Final = 0.35
MAX_PENDING: Final = 2048
MAX_TIMER: Final = 400 * 86400.0  # an end_time further away is never reached in practice


def recorder_of(conn: Connection) -> Recorder | None:
    """The hub's recorder, or None when recording is off."""
    return conn.request.app.get(KEY_RECORDER)


def period(conn: Connection, start_text: str, end_text: str | None) -> tuple[float, float | None]:
    """Start and end as epoch seconds; InvalidStartTime or InvalidEndTime."""
    zone = conn.hub.config.time_zone
    start = parse_time(start_text, zone)
    if start is None:
        raise InvalidStartTime("Invalid start_time")
    end = None
    if end_text:
        end = parse_time(end_text, zone)
        if end is None:
            raise InvalidEndTime("Invalid end_time")
    return start, end


def check_stream_period(start: float, end: float | None) -> None:
    """A stream starts in the past and ends after it starts."""
    if start > time.time():
        raise InvalidStartTime("Invalid start_time")
    if end is not None and end < start:
        raise InvalidEndTime("Invalid end_time")


class LiveStream:
    """One subscription's live part: buffer, coalesce, send; `close` ends it (idempotent)."""

    def __init__(
        self,
        conn: Connection,
        msg_id: int,
        convert: Callable[[list[Event]], bytes | None],
    ) -> None:
        self._conn = conn
        self._prefix = protocol.event_prefix(msg_id)
        self._convert = convert
        self._pending: list[Event] = []
        self._live = False
        self.closed = False
        self.unsubscribes: list[Callable[[], None]] = []
        self._timer: asyncio.Handle | None = None
        self._end: asyncio.TimerHandle | None = None

    def add(self, event: Event) -> None:
        """Queue a live event (a listener: cheap, never raises)."""
        if self.closed:
            return
        if len(self._pending) >= MAX_PENDING:
            self.close()
            return
        self._pending.append(event)
        if self._live and self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(COALESCE, self._flush)

    def go_live(self, end: float | None) -> None:
        """The past has been sent: send what waited, then live events; stop at `end`."""
        if self.closed:
            return
        self._live = True
        loop = asyncio.get_running_loop()
        if self._pending:
            self._timer = loop.call_soon(self._flush)
        if end is not None and (delay := end - time.time()) < MAX_TIMER:
            self._end = loop.call_later(max(0.0, delay), self.close)

    def send(self, body: bytes) -> None:
        """Send one event message of this subscription."""
        if not self.closed:
            self._conn.send(protocol.event_message(self._prefix, body))

    def _flush(self) -> None:
        self._timer = None
        events, self._pending = self._pending, []
        if events and not self.closed:
            body = self._convert(events)
            if body is not None:
                self.send(body)

    def close(self) -> None:
        """Stop listening and sending."""
        if self.closed:
            return
        self.closed = True
        while self.unsubscribes:
            self.unsubscribes.pop()()
        for handle in (self._timer, self._end):
            if handle is not None:
                handle.cancel()
        self._pending.clear()

    def active_on(self, conn: Connection, msg_id: int) -> bool:
        """Whether the client has not unsubscribed (nor disconnected) meanwhile."""
        return not self.closed and conn.subscriptions.get(msg_id) == self.close
