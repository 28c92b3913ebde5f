"""Event views: listener counts and firing events."""

from __future__ import annotations

from aiohttp import web

from hearth.api.helpers import hub_of, user_context
from hearth.http.view import admin_only, json_response, read_json_object

routes = web.RouteTableDef()


@routes.get("/api/events")
async def list_events(request: web.Request) -> web.Response:
    """Each event type that has listeners, with how many."""
    counts = hub_of(request).bus.listener_counts()
    return json_response([{"event": name, "listener_count": n} for name, n in counts.items()])


@routes.post("/api/events/{event_type}")
@admin_only
async def fire_event(request: web.Request) -> web.Response:
    """Fire an event whose data is the (optional) JSON object body.

    Reserved types and unbounded data are refused by the core, with the WebSocket's rule.
    """
    event_type = request.match_info["event_type"]
    bus = hub_of(request).bus
    bus.check_client_event_type(event_type)
    data = await read_json_object(request, allow_empty=True)
    bus.fire_from_client(event_type, data, context=user_context(request))
    return json_response({"message": f"Event {event_type} fired."})
