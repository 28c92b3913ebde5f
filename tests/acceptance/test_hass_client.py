"""The unmodified PyPI `hass-client` (WebSocket) against the real hub."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from hass_client import HomeAssistantClient
from hass_client.exceptions import AuthenticationFailed, FailedCommand

from hearth.const import HA_COMPAT_VERSION
from tests.acceptance.support import RunningHub, tampered

pytestmark = pytest.mark.acceptance

LIGHT = "light.demo_light_1"


async def next_matching(queue: asyncio.Queue[Any], check: Any, what: str) -> Any:
    """The first queued item for which check(item) is true, within 10 s."""
    try:
        async with asyncio.timeout(10):
            while True:
                item = await queue.get()
                if check(item):
                    return item
    except TimeoutError:
        pytest.fail(f"timed out waiting for {what}")


async def test_read_states_call_light_and_see_state_changed(hub: RunningHub) -> None:
    """Connect with a CLI token, read states, turn a light on, see state_changed and the diff."""
    async with aiohttp.ClientSession() as session:
        client = HomeAssistantClient(hub.ws_url, hub.token, session)
        async with client:
            assert client.connected
            assert client.version == HA_COMPAT_VERSION

            states = await client.get_states()
            by_id = {state["entity_id"]: state for state in states}
            assert LIGHT in by_id
            assert {"light", "switch", "sensor"} <= {eid.split(".")[0] for eid in by_id}
            for state in states:
                assert {"entity_id", "state", "attributes", "last_changed", "context"} <= set(state)

            config = await client.get_config()
            assert isinstance(config, dict)
            assert config["location_name"] == "Acceptance Home"
            assert config["version"] == HA_COMPAT_VERSION
            services = await client.get_services()
            assert {"turn_on", "turn_off", "toggle"} <= set(services["light"])

            events: asyncio.Queue[Any] = asyncio.Queue()
            unsubscribe_events = await client.subscribe_events(events.put_nowait, "state_changed")
            diffs: asyncio.Queue[Any] = asyncio.Queue()
            unsubscribe_entities = await client.subscribe_entities(diffs.put_nowait, [LIGHT])
            initial = await next_matching(diffs, lambda ev: "a" in ev, "initial entity snapshot")
            assert set(initial["a"]) == {LIGHT}, "subscribe_entities must honour entity_ids"

            await client.call_service("light", "turn_off", target={"entity_id": LIGHT})
            if by_id[LIGHT]["state"] != "off":

                def turned_off(event: dict[str, Any]) -> bool:
                    new_state = event["data"].get("new_state") or {}
                    return event["data"]["entity_id"] == LIGHT and new_state.get("state") == "off"

                await next_matching(events, turned_off, "the light to be off")

            result = await client.call_service(
                "light", "turn_on", {"brightness": 128}, {"entity_id": LIGHT}
            )
            assert isinstance(result["context"]["id"], str)

            def turned_on(event: dict[str, Any]) -> bool:
                new_state = event["data"].get("new_state") or {}
                return (
                    event["data"]["entity_id"] == LIGHT
                    and new_state.get("state") == "on"
                    and new_state["attributes"].get("brightness") == 128
                )

            event = await next_matching(events, turned_on, "state_changed for the light")
            assert event["event_type"] == "state_changed"
            assert event["origin"] == "LOCAL"
            assert event["data"]["old_state"]["state"] == "off"
            call_context = result["context"]["id"]
            assert call_context in (event["context"]["id"], event["context"]["parent_id"])
            assert event["context"]["user_id"]

            def diff_on(diff: dict[str, Any]) -> bool:
                added = diff.get("c", {}).get(LIGHT, {}).get("+", {})
                return added.get("s") == "on" and added.get("a", {}).get("brightness") == 128

            await next_matching(diffs, diff_on, "the compressed entity diff")

            unsubscribe_events()
            unsubscribe_entities()
            # The unsubscribe commands go out in the background; the connection must stay healthy.
            await asyncio.sleep(0.2)
            assert await client.get_states()
            assert client.connected


async def test_errors_are_reported_as_failed_commands(hub: RunningHub) -> None:
    """Unknown services and bad data fail the command, not the connection."""
    async with (
        aiohttp.ClientSession() as session,
        HomeAssistantClient(hub.ws_url, hub.token, session) as client,
    ):
        with pytest.raises(FailedCommand):
            await client.call_service("light", "frobnicate", target={"entity_id": LIGHT})
        with pytest.raises(FailedCommand):
            await client.call_service("light", "turn_on", {"brightness": 999}, {"entity_id": LIGHT})
        with pytest.raises(FailedCommand):
            await client.send_command("no_such_command")
        assert client.connected
        assert await client.get_states()


async def test_wrong_token_is_rejected(hub: RunningHub) -> None:
    """A wrong token raises AuthenticationFailed."""
    async with aiohttp.ClientSession() as session:
        client = HomeAssistantClient(hub.ws_url, tampered(hub.token), session)
        with pytest.raises(AuthenticationFailed):
            await client.connect()
        await client.disconnect()
