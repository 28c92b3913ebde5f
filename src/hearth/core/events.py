"""Events and the synchronous event bus."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

from hearth.core.context import Context
from hearth.core.payload import check_payload
from hearth.core.serialize import dumps
from hearth.core.state import State, utcnow
from hearth.exceptions import BadRequest

_LOGGER = logging.getLogger(__name__)

MATCH_ALL: Final = "*"
EVENT_STATE_CHANGED: Final = "state_changed"
EVENT_CALL_SERVICE: Final = "call_service"
EVENT_HUB_START: Final = "homeassistant_start"
EVENT_HUB_STOP: Final = "homeassistant_stop"

MAX_EVENT_TYPE_LENGTH: Final = 64

# Events only the hub itself fires. Their listeners trust them: a forged state_changed would show
# made-up states to every client, a forged call_service a call nobody made, a forged lifecycle
# event a start or stop that did not happen. Clients may fire none of them, over REST or WebSocket.
RESERVED_EVENT_TYPES: Final = frozenset(
    {
        EVENT_STATE_CHANGED,
        EVENT_CALL_SERVICE,
        EVENT_HUB_START,
        "homeassistant_started",
        EVENT_HUB_STOP,
        "homeassistant_final_write",
        "homeassistant_close",
        MATCH_ALL,
    }
)

Listener = Callable[["Event"], None]


class EventOrigin(StrEnum):
    """Where an event came from: the hub itself or a client over the API."""

    LOCAL = "LOCAL"
    REMOTE = "REMOTE"


def valid_event_type(event_type: object) -> bool:
    """Whether `event_type` is 1..64 printable characters."""
    return (
        isinstance(event_type, str)
        and 0 < len(event_type) <= MAX_EVENT_TYPE_LENGTH
        and event_type.isprintable()
    )


def _check_event_type(event_type: str) -> None:
    if not valid_event_type(event_type):
        raise BadRequest(
            f"Invalid event type: expected 1 to {MAX_EVENT_TYPE_LENGTH} printable characters."
        )


class Event:
    """Something that happened. Immutable; data is a read-only mapping."""

    __slots__ = ("_json", "context", "data", "event_type", "origin", "time_fired")

    def __init__(
        self,
        event_type: str,
        data: Mapping[str, Any] | None = None,
        origin: EventOrigin | str = EventOrigin.LOCAL,
        time_fired: datetime | None = None,
        context: Context | None = None,
    ) -> None:
        self.event_type = event_type
        self.data: Mapping[str, Any] = MappingProxyType(dict(data) if data else {})
        self.origin = EventOrigin(origin)
        self.time_fired = time_fired or utcnow()
        self.context = context or Context()
        self._json: bytes | None = None

    def __repr__(self) -> str:
        return f"<Event {self.event_type}[{self.origin.value[0]}]>"

    def as_dict(self) -> dict[str, Any]:
        """The Home Assistant shape; State values in data become their dict form."""
        return {
            "event_type": self.event_type,
            "data": {
                key: value.as_dict() if isinstance(value, State) else value
                for key, value in self.data.items()
            },
            "origin": self.origin.value,
            "time_fired": self.time_fired.isoformat(),
            "context": self.context.as_dict(),
        }

    def as_json(self) -> bytes:
        """`as_dict()` as JSON bytes, computed once; states reuse their own cached JSON."""
        data = self._json
        if data is None:
            # States in data serialise through their cached as_json() rather than as_dict().
            data = dumps(
                {
                    "event_type": self.event_type,
                    "data": self.data,
                    "origin": self.origin.value,
                    "time_fired": self.time_fired.isoformat(),
                    "context": self.context.as_dict(),
                }
            )
            self._json = data
        return data


class EventBus:
    """Dispatches events to listeners synchronously, in the order they subscribed."""

    def __init__(self) -> None:
        # Tuples are replaced, never mutated, so a listener may unsubscribe during dispatch.
        self._listeners: dict[str, tuple[Listener, ...]] = {}

    def listen(self, event_type: str, listener: Listener) -> Callable[[], None]:
        """Call `listener` for each event of `event_type` (MATCH_ALL: every event).

        Returns a function that unsubscribes; calling it twice is harmless.
        """
        _check_event_type(event_type)
        self._listeners[event_type] = (*self._listeners.get(event_type, ()), listener)
        done = False

        def unsubscribe() -> None:
            nonlocal done
            if done:
                return
            done = True
            current = list(self._listeners.get(event_type, ()))
            current.remove(listener)
            if current:
                self._listeners[event_type] = tuple(current)
            else:
                del self._listeners[event_type]

        return unsubscribe

    def fire(
        self,
        event_type: str,
        data: Mapping[str, Any] | None = None,
        *,
        origin: EventOrigin | str = EventOrigin.LOCAL,
        context: Context | None = None,
        time_fired: datetime | None = None,
    ) -> Event:
        """Create an event and hand it to every matching listener before returning it.

        BadRequest for a malformed type, InvalidPayload for data that could not be sent on.
        """
        _check_event_type(event_type)
        if data is not None:
            if not isinstance(data, Mapping):
                raise BadRequest("Event data must be an object.")
            check_payload(data, "event data")
        return self.dispatch(Event(event_type, data, origin, time_fired, context))

    def dispatch(self, event: Event) -> Event:
        """Hand an event to every matching listener and return it; its data is not checked.

        For events the core builds from data it has already checked (state_changed from the
        state machine); everything else goes through fire().
        """
        event_type = event.event_type
        listeners = self._listeners.get(event_type, ())
        if event_type != MATCH_ALL:
            listeners += self._listeners.get(MATCH_ALL, ())
        for listener in listeners:
            try:
                listener(event)
            except Exception:
                _LOGGER.exception("Error in a listener for %s events", event_type)
        return event

    def fire_from_client(
        self, event_type: str, data: Mapping[str, Any] | None, *, context: Context
    ) -> Event:
        """Fire an event a client asked for (REST or WebSocket: one rule for both).

        BadRequest for a malformed or reserved type (RESERVED_EVENT_TYPES) or bad data.
        """
        self.check_client_event_type(event_type)
        return self.fire(event_type, data, origin=EventOrigin.REMOTE, context=context)

    @staticmethod
    def check_client_event_type(event_type: str) -> None:
        """BadRequest unless a client may fire `event_type`: well formed and not reserved."""
        _check_event_type(event_type)
        if event_type in RESERVED_EVENT_TYPES:
            raise BadRequest(f"Event {event_type} can not be fired through the API.")

    def listener_counts(self) -> dict[str, int]:
        """Number of listeners per event type (MATCH_ALL included as "*")."""
        return {event_type: len(found) for event_type, found in self._listeners.items()}
