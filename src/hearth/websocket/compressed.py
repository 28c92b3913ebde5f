"""Home Assistant's compressed entity format for subscribe_entities. Pure functions.

Initial message `{"a": {entity_id: compressed}}`; then `{"a": ...}` for new entities,
`{"c": {entity_id: {"+": {...}, "-": {"a": [removed attribute names]}}}}` for changes and
`{"r": [entity_id]}` for removals. A compressed state is `{"s": state, "a": attributes,
"c": context id (or the context object when it has a user or parent), "lc": last_changed,
"lu": last_updated (only when it differs)}`, times as float epoch seconds.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final

from hearth.websocket.protocol import dumps

if TYPE_CHECKING:
    from hearth.core.events import Event
    from hearth.core.state import State

_LOGGER = logging.getLogger(__name__)

ADD: Final = "a"
CHANGE: Final = "c"
REMOVE: Final = "r"
ADDITIONS: Final = "+"
REMOVALS: Final = "-"

STATE: Final = "s"
ATTRIBUTES: Final = "a"
CONTEXT: Final = "c"
LAST_CHANGED: Final = "lc"
LAST_UPDATED: Final = "lu"

_DIFF_CACHE_SIZE: Final = 256
# One state_changed event goes to every subscribed connection: serialise its diff once.
# Keyed by id(); the event itself is kept in the value so its id cannot be reused meanwhile.
_diff_cache: OrderedDict[int, tuple[Event, bytes]] = OrderedDict()


def initial_message(states: Iterable[State]) -> bytes:
    """The event sent right after subscribing: every matching state, as additions.

    A state that cannot be serialised (the core refuses such data, so only a bug gets here) is
    left out with a log line instead of failing the whole snapshot.
    """
    states = list(states)
    try:
        return dumps({ADD: {state.entity_id: state.as_compressed_dict() for state in states}})
    except TypeError:  # orjson.JSONEncodeError: find the culprits, state by state
        pass
    parts = []
    for state in states:
        try:
            # Entity ids are a-z, 0-9, _ and one dot: nothing to escape.
            parts.append(b'"%b":%b' % (state.entity_id.encode(), dumps(state.as_compressed_dict())))
        except TypeError:  # orjson.JSONEncodeError
            _LOGGER.error("The state of %s cannot be serialised; left out", state.entity_id)
    return b'{"a":{' + b",".join(parts) + b"}}"


def state_diff(old: State, new: State) -> dict[str, Any]:
    """What changed between two states of one entity, as a `{"+": ..., "-": ...}` overlay."""
    additions: dict[str, Any] = {}
    diff: dict[str, Any] = {ADDITIONS: additions}
    if old.state != new.state:
        additions[STATE] = new.state
    # Clients set last_updated to last_changed when only "lc" is sent.
    if old.last_changed != new.last_changed:
        additions[LAST_CHANGED] = new.last_changed.timestamp()
    elif old.last_updated != new.last_updated:
        additions[LAST_UPDATED] = new.last_updated.timestamp()
    old_ctx, new_ctx = old.context, new.context
    context: dict[str, Any] = {}
    if old_ctx.parent_id != new_ctx.parent_id:
        context["parent_id"] = new_ctx.parent_id
    if old_ctx.user_id != new_ctx.user_id:
        context["user_id"] = new_ctx.user_id
    if context:
        if old_ctx.id != new_ctx.id:
            context["id"] = new_ctx.id
        additions[CONTEXT] = context
    elif old_ctx.id != new_ctx.id:
        additions[CONTEXT] = new_ctx.id
    old_attrs, new_attrs = old.attributes, new.attributes
    if old_attrs != new_attrs:
        changed = {
            key: value
            for key, value in new_attrs.items()
            if key not in old_attrs or old_attrs[key] != value
        }
        if changed:
            additions[ATTRIBUTES] = changed
        if removed := [key for key in old_attrs if key not in new_attrs]:
            diff[REMOVALS] = {ATTRIBUTES: removed}
    return diff


def event_diff(event: Event) -> dict[str, Any]:
    """A state_changed event in compressed form."""
    new: State | None = event.data["new_state"]
    if new is None:
        return {REMOVE: [event.data["entity_id"]]}
    old: State | None = event.data["old_state"]
    if old is None:
        return {ADD: {new.entity_id: new.as_compressed_dict()}}
    return {CHANGE: {new.entity_id: state_diff(old, new)}}


def event_diff_json(event: Event) -> bytes:
    """`event_diff` serialised, computed once per event for all subscribers."""
    key = id(event)
    cached = _diff_cache.get(key)
    if cached is not None and cached[0] is event:
        return cached[1]
    payload = dumps(event_diff(event))
    _diff_cache[key] = (event, payload)
    if len(_diff_cache) > _DIFF_CACHE_SIZE:
        _diff_cache.popitem(last=False)
    return payload
