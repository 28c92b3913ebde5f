"""Subscriptions: subscribe_events, unsubscribe_events, subscribe_entities."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Final

from pydantic import Field

from hearth.core.events import EVENT_STATE_CHANGED, MATCH_ALL
from hearth.core.state import json_size, valid_entity_id
from hearth.exceptions import InvalidEntityId, NotFound, PermissionDenied
from hearth.websocket import compressed, protocol
from hearth.websocket.spec import CommandSpec, Params, command

if TYPE_CHECKING:
    from hearth.core.events import Event
    from hearth.core.state import State
    from hearth.websocket.connection import Connection

# Event types any user may subscribe to: they carry nothing beyond what get_states shows.
# The same list as Home Assistant's; other types (call_service carries service data, "*"
# carries everything) need an administrator.
SUBSCRIBE_ALLOWLIST: Final = frozenset(
    {
        "area_registry_updated",
        "component_loaded",
        "core_config_updated",
        "device_registry_updated",
        "entity_registry_updated",
        "floor_registry_updated",
        "label_registry_updated",
        "lovelace_updated",
        "panels_updated",
        "persistent_notifications_updated",
        "repairs_issue_registry_updated",
        "service_registered",
        "service_removed",
        "shopping_list_updated",
        EVENT_STATE_CHANGED,
        "themes_updated",
    }
)

MAX_ENTITY_FILTER: Final = 10_000


class SubscribeEventsParams(Params):
    """Fields of subscribe_events."""

    event_type: Annotated[str, Field(min_length=1, max_length=64)] = MATCH_ALL


@command("subscribe_events", SubscribeEventsParams)
def subscribe_events(conn: Connection, msg_id: int, params: SubscribeEventsParams) -> None:
    """Forward events of one type (or all, for administrators) until unsubscribed."""
    if params.event_type not in SUBSCRIBE_ALLOWLIST and not conn.user.is_admin:
        raise PermissionDenied("Unauthorized")
    conn.ensure_subscription_room()
    prefix = protocol.event_prefix(msg_id)
    send, tail = conn.send_shared, protocol.MESSAGE_TAIL

    def forward(event: Event) -> None:
        # Serialised once per event; every subscriber queues the same bytes.
        send(prefix, event.as_json(), tail)

    conn.subscriptions[msg_id] = conn.hub.bus.listen(params.event_type, forward)
    conn.send_result(msg_id)


class UnsubscribeEventsParams(Params):
    """Fields of unsubscribe_events."""

    subscription: int


@command("unsubscribe_events", UnsubscribeEventsParams)
def unsubscribe_events(conn: Connection, msg_id: int, params: UnsubscribeEventsParams) -> None:
    """End a subscription made on this connection (events or entities)."""
    unsubscribe = conn.subscriptions.pop(params.subscription, None)
    if unsubscribe is None:
        raise NotFound("Subscription not found.")
    unsubscribe()
    conn.send_result(msg_id)


class SubscribeEntitiesParams(Params):
    """Fields of subscribe_entities."""

    entity_ids: str | Annotated[list[str], Field(max_length=MAX_ENTITY_FILTER)] | None = None


def _entity_filter(entity_ids: str | list[str] | None) -> frozenset[str] | None:
    if entity_ids is None:
        return None
    ids = entity_ids.split(",") if isinstance(entity_ids, str) else entity_ids
    wanted = frozenset(entity_id.strip() for entity_id in ids)
    if not all(valid_entity_id(entity_id) for entity_id in wanted):
        raise InvalidEntityId("entity_ids: expected entity ids like light.kitchen.")
    # An empty filter means every entity, as in Home Assistant.
    return wanted or None


@command("subscribe_entities", SubscribeEntitiesParams)
def subscribe_entities(conn: Connection, msg_id: int, params: SubscribeEntitiesParams) -> None:
    """Send the current states in compressed form, then compressed diffs as they change."""
    wanted = _entity_filter(params.entity_ids)
    conn.ensure_subscription_room()
    prefix = protocol.event_prefix(msg_id)
    send, tail = conn.send_shared, protocol.MESSAGE_TAIL

    def forward(event: Event) -> None:
        if wanted is None or event.data.get("entity_id") in wanted:
            # Serialised once per event; every subscriber queues the same bytes.
            send(prefix, compressed.event_diff_json(event), tail)

    machine = conn.hub.states
    states: list[State]
    if wanted is None:
        states = machine.all()
        estimate = len(machine.all_json())
    else:
        states = [state for eid in sorted(wanted) if (state := machine.get(eid))]
        estimate = json_size(states)
    # Counted against the connection's output limit before it is built (the compressed form is
    # smaller than the states' cached JSON): a client that is not reading is dropped here.
    if not conn.has_room(estimate):
        return
    # Built before anything is sent, so the client never gets a success and then a failure.
    snapshot = protocol.event_message(prefix, compressed.initial_message(states))
    # No await between reading the states and listening: no change can slip in between.
    conn.subscriptions[msg_id] = conn.hub.bus.listen(EVENT_STATE_CHANGED, forward)
    conn.send_result(msg_id)
    conn.send(snapshot)


COMMANDS: Final[tuple[CommandSpec[Any], ...]] = (
    subscribe_events,
    unsubscribe_events,
    subscribe_entities,
)
