"""Event views: listener counts and firing events."""

from __future__ import annotations

from typing import Final

from aiohttp import web

from hearth.api.helpers import hub_of, user_context
from hearth.core.events import (
    EVENT_CALL_SERVICE,
    EVENT_HUB_START,
    EVENT_HUB_STOP,
    EVENT_STATE_CHANGED,
    MATCH_ALL,
    MAX_EVENT_TYPE_LENGTH,
    EventOrigin,
    valid_event_type,
)
from hearth.exceptions import BadRequest
from hearth.http.view import admin_only, json_response, read_json_object

# Listeners of these events trust their data (State objects, a real shutdown); a forged one
# could spoof entity states to every subscriber or trigger shutdown handling.
RESERVED_EVENT_TYPES: Final = frozenset(
    {EVENT_STATE_CHANGED, EVENT_CALL_SERVICE, EVENT_HUB_START, EVENT_HUB_STOP, MATCH_ALL}
)

routes = web.RouteTableDef()


@routes.get("/api/events")
async def list_events(request: web.Request) -> web.Response:
    """Each event type that has listeners, with how many."""
    counts = hub_of(request).bus.listener_counts()
    return json_response([{"event": name, "listener_count": n} for name, n in counts.items()])


@routes.post("/api/events/{event_type}")
@admin_only
async def fire_event(request: web.Request) -> web.Response:
    """Fire an event whose data is the (optional) JSON object body."""
    event_type = request.match_info["event_type"]
    if not valid_event_type(event_type):
        raise BadRequest(
            f"Invalid event type: expected 1 to {MAX_EVENT_TYPE_LENGTH} printable characters."
        )
    if event_type in RESERVED_EVENT_TYPES:
        raise BadRequest(f"Event {event_type} can not be fired through the API.")
    data = await read_json_object(request, allow_empty=True)
    hub_of(request).bus.fire(
        event_type, data, origin=EventOrigin.REMOTE, context=user_context(request)
    )
    return json_response({"message": f"Event {event_type} fired."})
