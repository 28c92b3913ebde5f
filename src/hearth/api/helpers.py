"""Small pieces shared by the REST views."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from hearth.core.context import Context
from hearth.core.state import states_json, valid_entity_id
from hearth.exceptions import InvalidEntityId
from hearth.http.keys import KEY_HUB
from hearth.http.view import current_user

if TYPE_CHECKING:
    from hearth.core.hub import Hub

__all__ = ["checked_entity_id", "hub_of", "states_json", "user_context"]


def hub_of(request: web.Request) -> Hub:
    """The hub serving this request."""
    return request.app[KEY_HUB]


def user_context(request: web.Request) -> Context:
    """A new context carrying the requesting user's id."""
    return Context(user_id=current_user(request).id)


def checked_entity_id(request: web.Request) -> str:
    """The {entity_id} path parameter, lower-cased like Home Assistant; 400 unless well formed."""
    entity_id = request.match_info["entity_id"]
    # ASCII only: str.lower() maps a few non-ASCII letters (the Kelvin sign) onto ASCII ones.
    if entity_id.isascii():
        entity_id = entity_id.lower()
    if not valid_entity_id(entity_id):
        raise InvalidEntityId("Invalid entity ID specified.")
    return entity_id
