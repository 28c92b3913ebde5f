"""history/*, logbook/* and recorder/* against a hub with a real recorder (SQLite in tmp_path)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from hearth.auth.models import User
from hearth.core.events import EVENT_STATE_CHANGED
from hearth.core.hub import Hub
from tests.recorder import hub_fixtures

from .conftest import WsClient

LIGHT = "light.demo_light_1"
SENSOR = "sensor.demo_sensor_1"
# A hub with a real recorder replaces the plain demo hub of tests/conftest.py here.
recorder_hub, hub, app = hub_fixtures.recorder_hub, hub_fixtures.hub, hub_fixtures.app


def iso(seconds_ago: float) -> str:
    return datetime.fromtimestamp(time.time() - seconds_ago, UTC).isoformat()


async def toggle(ws: WsClient, entity_id: str = LIGHT) -> None:
    await ws.ok(
        "call_service", domain="light", service="toggle", service_data={"entity_id": entity_id}
    )


async def test_stream_sends_the_past_then_live_changes(
    user_ws: WsClient, admin_ws: WsClient, hub: Hub
) -> None:
    """What the more-info dialog asks for: minimal, without attributes, past then live."""
    sub = await user_ws.send(
        "history/stream", start_time=iso(3600), entity_ids=[LIGHT, SENSOR],
        minimal_response=True, no_attributes=True,
    )  # fmt: skip
    assert (await user_ws.result(sub))["success"]
    past = await user_ws.event(sub)
    assert set(past) == {"states", "start_time", "end_time"}
    assert past["states"][LIGHT] == [
        {"s": "on", "lu": hub.states.get(LIGHT).last_updated.timestamp()}  # type: ignore[union-attr]
    ]
    assert [item["s"] for item in past["states"][SENSOR]] == [hub.states.get(SENSOR).state]  # type: ignore[union-attr]
    await toggle(admin_ws)
    live = await user_ws.event(sub)
    new = hub.states.get(LIGHT)
    assert new is not None
    assert live == {"states": {LIGHT: [{"s": "off", "lu": new.last_updated.timestamp()}]}}
    listeners = hub.bus.listener_counts().get(EVENT_STATE_CHANGED, 0)
    await user_ws.ok("unsubscribe_events", subscription=sub)
    assert hub.bus.listener_counts().get(EVENT_STATE_CHANGED, 0) == listeners - 1


async def test_past_periods_and_attributes(admin_ws: WsClient, user_ws: WsClient) -> None:
    for _ in range(3):
        await toggle(admin_ws)
    states = await user_ws.ok(
        "history/history_during_period", start_time=iso(600), entity_ids=[LIGHT]
    )
    assert [item["s"] for item in states[LIGHT]] == ["on", "off", "on", "off"]
    assert states[LIGHT][0]["a"]["friendly_name"] == "Demo Light 1"
    assert all(set(item) <= {"s", "a", "lu", "lc"} for item in states[LIGHT])
    # A stream over a period that has ended: the past, and nothing after.
    sub = await user_ws.send(
        "history/stream", start_time=iso(600), end_time=iso(0), entity_ids=[LIGHT]
    )
    assert (await user_ws.result(sub))["success"]
    assert len((await user_ws.event(sub))["states"][LIGHT]) == 4
    # Nothing is recorded for an excluded entity.
    assert (
        await user_ws.ok(
            "history/history_during_period",
            start_time=iso(600),
            entity_ids=["switch.demo_switch_2"],
        )
        == {}
    )


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"start_time": "yesterday", "entity_ids": [LIGHT]}, "invalid_start_time"),
        (
            {"start_time": iso(10), "end_time": "2024-13-01", "entity_ids": [LIGHT]},
            "invalid_end_time",
        ),
        ({"start_time": iso(10), "entity_ids": ["not an id"]}, "invalid_format"),
        ({"start_time": iso(10), "entity_ids": []}, "invalid_format"),
        (
            {"start_time": iso(10), "entity_ids": [f"sensor.s{i}" for i in range(1001)]},
            "invalid_format",
        ),
        ({"start_time": "x" * 65, "entity_ids": [LIGHT]}, "invalid_format"),
    ],
)
async def test_bad_requests(user_ws: WsClient, fields: dict[str, Any], code: str) -> None:
    for msg_type in ("history/history_during_period", "history/stream"):
        assert (await user_ws.error(msg_type, **fields))["code"] == code


async def test_a_stream_cannot_start_in_the_future(user_ws: WsClient) -> None:
    error = await user_ws.error("history/stream", start_time=iso(-3600), entity_ids=[LIGHT])
    assert error["code"] == "invalid_start_time"
    error = await user_ws.error("logbook/event_stream", start_time=iso(10), end_time=iso(20))
    assert error["code"] == "invalid_end_time"


async def test_logbook_names_the_user(
    admin_ws: WsClient, user_ws: WsClient, admin_user: User
) -> None:
    sub = await user_ws.send("logbook/event_stream", start_time=iso(600))
    assert (await user_ws.result(sub))["success"]
    past = await user_ws.event(sub)
    assert {entry.get("message") for entry in past["events"]} >= {"started"}
    await toggle(admin_ws)
    (entry,) = (await user_ws.event(sub))["events"]
    assert (entry["entity_id"], entry["state"]) == (LIGHT, "off")
    assert entry["context_user_id"] == admin_user.id
    assert (entry["context_domain"], entry["context_service"]) == ("light", "toggle")
    entries = await user_ws.ok(
        "logbook/get_events", start_time=iso(600), entity_ids=[LIGHT, SENSOR]
    )
    assert entries == [entry]  # a measuring sensor makes no entries


async def test_recorder_status_and_no_statistics(user_ws: WsClient) -> None:
    info = await user_ws.ok("recorder/info")
    assert info["recording"] is True
    assert info["thread_running"] is True
    assert await user_ws.ok("recorder/get_statistics_metadata", statistic_ids=[SENSOR]) == []
    assert (
        await user_ws.ok(
            "recorder/statistics_during_period",
            start_time=iso(60),
            statistic_ids=[SENSOR],
            period="hour",
        )
        == {}
    )
