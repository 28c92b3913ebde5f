"""State views: list, read, write and remove entity states."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hearth.api.helpers import checked_entity_id, hub_of, user_context
from hearth.const import MAX_STATE_LENGTH
from hearth.exceptions import BadRequest, EntityNotFound
from hearth.http.view import admin_only, json_response, raw_json_response, read_json_object

routes = web.RouteTableDef()


@routes.get("/api/states")
async def list_states(request: web.Request) -> web.Response:
    """Every entity's state."""
    return raw_json_response(hub_of(request).states.all_json())


@routes.get("/api/states/{entity_id}")
async def get_state(request: web.Request) -> web.Response:
    """One entity's state; 404 when there is no such entity."""
    entity_id = checked_entity_id(request)
    state = hub_of(request).states.get(entity_id)
    if state is None:
        raise EntityNotFound
    return raw_json_response(state.as_json())


@routes.post("/api/states/{entity_id}")
@admin_only
async def set_state(request: web.Request) -> web.Response:
    """Create (201) or update (200) an entity's state from {state, attributes?, force_update?}."""
    entity_id = checked_entity_id(request)
    state, attributes, force_update = _parse_state_body(await read_json_object(request))
    machine = hub_of(request).states
    is_new = machine.get(entity_id) is None
    new_state = machine.set(
        entity_id,
        state,
        attributes,
        force_update=force_update,
        context=user_context(request),
    )
    response = raw_json_response(new_state.as_json(), status=201 if is_new else 200)
    # The id passed valid_entity_id, so it is safe to put in a header.
    response.headers["Location"] = f"/api/states/{entity_id}"
    return response


@routes.delete("/api/states/{entity_id}")
@admin_only
async def delete_state(request: web.Request) -> web.Response:
    """Remove an entity's state; 404 when there is no such entity."""
    entity_id = checked_entity_id(request)
    if not hub_of(request).states.remove(entity_id, context=user_context(request)):
        raise EntityNotFound
    return json_response({"message": "Entity removed."})


def _parse_state_body(data: dict[str, Any]) -> tuple[str, dict[str, Any] | None, bool]:
    """Validate a state write body; BadRequest names the offending field."""
    state = data.get("state")
    if state is None:
        raise BadRequest("No state specified.")
    if not isinstance(state, str):
        raise BadRequest("Invalid state specified: 'state' must be a string.")
    if len(state) > MAX_STATE_LENGTH:
        raise BadRequest(
            f"Invalid state specified: 'state' must be at most {MAX_STATE_LENGTH} characters."
        )
    attributes = data.get("attributes")
    if attributes is not None and not isinstance(attributes, dict):
        raise BadRequest("Invalid attributes: 'attributes' must be a JSON object.")
    force_update = data.get("force_update", False)
    if not isinstance(force_update, bool):
        raise BadRequest("Invalid force_update: 'force_update' must be true or false.")
    return state, attributes, force_update
