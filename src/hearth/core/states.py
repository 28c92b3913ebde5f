"""The state machine: the current State of every entity."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hearth.const import MAX_ENTITY_ID_LENGTH, MAX_STATE_LENGTH
from hearth.core.context import Context
from hearth.core.events import EVENT_STATE_CHANGED, Event, EventBus
from hearth.core.payload import check_payload, check_text
from hearth.core.state import State, states_json, utcnow, valid_entity_id
from hearth.exceptions import BadRequest, InvalidEntityId


class StateMachine:
    """Holds the current states and fires state_changed when one changes."""

    def __init__(self, bus: EventBus) -> None:
        self._bus = bus
        self._states: dict[str, State] = {}
        self._by_domain: dict[str, dict[str, State]] = {}
        # Bumped on every stored or removed state; keys the cached JSON of all states.
        self._version = 0
        self._all_json: tuple[int, bytes] = (-1, b"[]")

    def __len__(self) -> int:
        return len(self._states)

    def __contains__(self, entity_id: object) -> bool:
        return entity_id in self._states

    def get(self, entity_id: str) -> State | None:
        """The current state of `entity_id`, or None."""
        found = self._states.get(entity_id)
        if found is None and len(entity_id) <= MAX_ENTITY_ID_LENGTH and not entity_id.islower():
            found = self._states.get(entity_id.lower())
        return found

    def all(self, domain: str | None = None) -> list[State]:
        """Every current state, or those of one domain."""
        if domain is None:
            return list(self._states.values())
        return list(self._by_domain.get(domain, {}).values())

    def entity_ids(self, domain: str | None = None) -> list[str]:
        """Every entity id, or those of one domain."""
        if domain is None:
            return list(self._states)
        return list(self._by_domain.get(domain, {}))

    def domains(self) -> list[str]:
        """The domains that have at least one entity."""
        return list(self._by_domain)

    def set(
        self,
        entity_id: str,
        state: str,
        attributes: Mapping[str, Any] | None = None,
        *,
        force_update: bool = False,
        context: Context | None = None,
    ) -> State:
        """Set a state; fires state_changed unless nothing but last_reported moved.

        last_changed moves only when the state string changes, last_updated when the state,
        the attributes or `force_update` say so, last_reported on every call.
        """
        if not valid_entity_id(entity_id):
            entity_id = entity_id.lower() if isinstance(entity_id, str) else entity_id
            if not valid_entity_id(entity_id):
                raise InvalidEntityId("Invalid entity ID.")
        # Checked before anything is stored: a state that cannot be serialised would break every
        # listing and every subscriber from then on.
        if isinstance(state, str) and len(state) <= MAX_STATE_LENGTH:
            check_text(state, "state")
        old = self._states.get(entity_id)
        if attributes is not None and (old is None or attributes is not old.attributes):
            if not isinstance(attributes, Mapping):
                raise BadRequest("attributes: expected an object.")
            check_payload(attributes, "attributes")
        now = utcnow()
        if old is None:
            new = State(entity_id, state, attributes, now, now, now, context)
        else:
            same_state = old.state == state
            same_attributes = old.attributes == (attributes or {})
            if same_state and same_attributes and not force_update:
                reported = old.with_reported(now)
                self._store(reported)
                return reported
            new = State(
                entity_id,
                state,
                old.attributes if same_attributes else attributes,
                old.last_changed if same_state else now,
                now,
                now,
                context,
            )
        self._store(new)
        # Checked above: the id is valid, the states' data passed check_payload.
        self._bus.dispatch(
            Event(
                EVENT_STATE_CHANGED,
                {"entity_id": entity_id, "old_state": old, "new_state": new},
                context=new.context,
                time_fired=now,
            )
        )
        return new

    def remove(self, entity_id: str, context: Context | None = None) -> bool:
        """Remove an entity; fires state_changed with new_state None. False if it did not exist."""
        old = self._states.pop(entity_id, None)
        if old is None and isinstance(entity_id, str) and len(entity_id) <= MAX_ENTITY_ID_LENGTH:
            entity_id = entity_id.lower()
            old = self._states.pop(entity_id, None)
        if old is None:
            return False
        self._version += 1
        domain_states = self._by_domain[old.domain]
        del domain_states[entity_id]
        if not domain_states:
            del self._by_domain[old.domain]
        self._bus.dispatch(
            Event(
                EVENT_STATE_CHANGED,
                {"entity_id": entity_id, "old_state": old, "new_state": None},
                context=context,
            )
        )
        return True

    @property
    def version(self) -> int:
        """A number that changes whenever any state is stored or removed."""
        return self._version

    def all_json(self) -> bytes:
        """Every state as one JSON array, rebuilt only after something changed.

        GET /api/states is the most expensive read clients poll; between changes it is one
        cached body, however many entities there are.
        """
        version, body = self._all_json
        if version != self._version:
            body = states_json(self._states.values())
            self._all_json = (self._version, body)
        return body

    def _store(self, state: State) -> None:
        self._version += 1
        self._states[state.entity_id] = state
        domain_states = self._by_domain.get(state.domain)
        if domain_states is None:
            domain_states = self._by_domain[state.domain] = {}
        domain_states[state.entity_id] = state
