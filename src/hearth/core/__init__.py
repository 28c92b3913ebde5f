"""The hub runtime: contexts, states, the event bus, services and the Hub that holds them."""

from hearth.core.context import Context
from hearth.core.events import (
    EVENT_CALL_SERVICE,
    EVENT_HUB_START,
    EVENT_HUB_STOP,
    EVENT_STATE_CHANGED,
    MATCH_ALL,
    Event,
    EventBus,
    EventOrigin,
)
from hearth.core.hub import CoreState, Hub, HubConfig
from hearth.core.services import ServiceCall, ServiceRegistry
from hearth.core.state import State, split_entity_id, valid_entity_id
from hearth.core.states import StateMachine

__all__ = [
    "EVENT_CALL_SERVICE",
    "EVENT_HUB_START",
    "EVENT_HUB_STOP",
    "EVENT_STATE_CHANGED",
    "MATCH_ALL",
    "Context",
    "CoreState",
    "Event",
    "EventBus",
    "EventOrigin",
    "Hub",
    "HubConfig",
    "ServiceCall",
    "ServiceRegistry",
    "State",
    "StateMachine",
    "split_entity_id",
    "valid_entity_id",
]
