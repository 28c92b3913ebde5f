"""The unmodified PyPI `homeassistant-api` (REST) client against the real hub."""

from __future__ import annotations

import niquests
import pytest
from homeassistant_api import Client, State
from homeassistant_api.errors import EndpointNotFoundError, RequestError, UnauthorizedError

from tests.acceptance.support import RunningHub, tampered

pytestmark = pytest.mark.acceptance

LIGHT = "light.demo_light_1"
TIMEOUT = {"timeout": 10}


def client_for(hub: RunningHub) -> Client:
    """A client for the hub's /api, bounded by a request timeout."""
    return Client(f"{hub.base_url}/api", hub.token, global_request_kwargs=TIMEOUT)


def test_read_states_and_config(hub: RunningHub) -> None:
    """Entering the client checks /api/; states, entities, config, events and components parse."""
    with client_for(hub) as client:
        assert client.check_api_running()
        config = client.get_config()
        assert config["location_name"] == "Acceptance Home"

        states = client.get_states()
        assert all(isinstance(state, State) for state in states)
        by_id = {state.entity_id: state for state in states}
        assert LIGHT in by_id
        assert by_id[LIGHT].context is not None
        assert by_id[LIGHT].last_changed.tzinfo is not None

        groups = client.get_entities()
        assert {"light", "switch", "sensor"} <= set(groups)
        assert "demo_light_1" in groups["light"].entities

        entity = client.get_entity(entity_id=LIGHT)
        assert entity is not None
        assert entity.get_state().entity_id == LIGHT

        # Only event types with listeners are listed; the demo's are internal, so any list parses.
        events = client.get_events()
        assert all(event.listener_count > 0 for event in events)
        assert {"demo", "light"} <= set(client.get_components())


def test_call_light_service(hub: RunningHub) -> None:
    """trigger_service returns the changed states; the state is then visible with get_state."""
    with client_for(hub) as client:
        client.trigger_service("light", "turn_off", entity_id=LIGHT)
        changed = client.trigger_service("light", "turn_on", entity_id=LIGHT, brightness=128)
        light = [state for state in changed if state.entity_id == LIGHT]
        assert len(light) == 1, changed
        assert light[0].state == "on"
        assert light[0].attributes["brightness"] == 128
        assert light[0].context is not None
        assert light[0].context.user_id

        now = client.get_state(entity_id=LIGHT)
        assert now.state == "on"
        assert now.attributes["brightness"] == 128


def test_call_service_through_domain_objects(hub: RunningHub) -> None:
    """The library's idiomatic path: /api/services parsed into Domain/Service, then called.

    Service.trigger first asks with ?return_response and falls back to a plain call on a 400,
    which is what Home Assistant answers for services without responses.
    """
    with client_for(hub) as client:
        domains = client.get_domains()
        assert {"light", "switch"} <= set(domains)
        light = client.get_domain("light")
        assert light is not None
        assert {"turn_on", "turn_off", "toggle"} <= set(light.services)
        light.turn_off(entity_id=LIGHT)
        result = light.turn_on(entity_id=LIGHT, brightness=64)
        assert isinstance(result, tuple)
        assert client.get_state(entity_id=LIGHT).attributes["brightness"] == 64


def test_set_state_and_fire_event(hub: RunningHub) -> None:
    """set_state posts the library's full State model (extra fields included); 201 then 200."""
    with client_for(hub) as client:
        created = client.set_state(
            State(entity_id="sensor.acceptance_power", state="42", attributes={"unit": "W"})
        )
        assert created.state == "42"
        assert created.attributes == {"unit": "W"}
        entity = client.get_entity(entity_id="sensor.acceptance_power")
        assert entity is not None
        entity.state.state = "43"
        assert entity.update_state().state == "43"
        assert client.get_state(entity_id="sensor.acceptance_power").state == "43"

        message = client.fire_event("acceptance_event", answer=42)
        assert message == "Event acceptance_event fired."


def test_errors_map_to_library_exceptions(hub: RunningHub) -> None:
    """404 for an unknown entity, 400 for bad service data, 401 for a wrong token."""
    with client_for(hub) as client:
        with pytest.raises(EndpointNotFoundError):
            client.get_state(entity_id="light.no_such_light")
        with pytest.raises(RequestError):
            client.trigger_service("light", "turn_on", entity_id=LIGHT, brightness=999)
        assert client.check_api_running()
    with niquests.Session() as session:
        wrong = Client(
            f"{hub.base_url}/api",
            tampered(hub.token),
            session=session,
            global_request_kwargs=TIMEOUT,
        )
        with pytest.raises(UnauthorizedError):
            wrong.check_api_running()
