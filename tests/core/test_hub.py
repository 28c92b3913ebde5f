"""Tests for hearth.core.hub."""

from __future__ import annotations

import asyncio
import logging

import pytest

from hearth.const import HA_COMPAT_VERSION
from hearth.core.events import EVENT_HUB_START, EVENT_HUB_STOP, Event
from hearth.core.hub import CoreState, Hub, HubConfig


def test_config_as_dict() -> None:
    config = HubConfig(name="Cottage", latitude=1.5, longitude=2.5, elevation=7)
    result = config.as_dict({"light", "demo"}, CoreState.running)
    assert result["location_name"] == "Cottage"
    assert (result["latitude"], result["longitude"], result["elevation"]) == (1.5, 2.5, 7)
    assert result["components"] == ["demo", "light"]
    assert result["version"] == HA_COMPAT_VERSION
    assert result["state"] == "RUNNING"
    assert result["unit_system"]["temperature"] == "°C"
    assert result["time_zone"] == "UTC"
    assert result["config_source"] == "yaml"
    assert "config_dir" not in result
    for key in ("allowlist_external_dirs", "allowlist_external_urls", "whitelist_external_dirs"):
        assert result[key] == []


def test_us_customary_units() -> None:
    units = HubConfig(unit_system="us_customary").as_dict([], "RUNNING")["unit_system"]
    assert units == {
        "length": "mi",
        "accumulated_precipitation": "in",
        "area": "ft²",
        "mass": "lb",
        "pressure": "psi",
        "temperature": "°F",
        "volume": "gal",
        "wind_speed": "mph",
    }


def test_core_state_values() -> None:
    assert [state.value for state in CoreState] == [
        "NOT_RUNNING",
        "STARTING",
        "RUNNING",
        "STOPPING",
    ]


async def test_start_and_stop_fire_events() -> None:
    hub = Hub(HubConfig())
    seen: list[tuple[str, CoreState]] = []

    def record(event: Event) -> None:
        seen.append((event.event_type, hub.state))

    hub.bus.listen(EVENT_HUB_START, record)
    hub.bus.listen(EVENT_HUB_STOP, record)
    assert hub.state is CoreState.not_running
    await hub.start()
    assert hub.state is CoreState.running
    assert hub.config_dict()["state"] == "RUNNING"
    await hub.start()  # already running: nothing happens
    await hub.stop()
    assert hub.state is CoreState.not_running
    assert seen == [
        (EVENT_HUB_START, CoreState.starting),
        (EVENT_HUB_STOP, CoreState.stopping),
    ]


async def test_stop_cancels_and_awaits_tasks() -> None:
    hub = Hub()
    cleaned = asyncio.Event()

    async def forever() -> None:
        try:
            await asyncio.sleep(3600)
        finally:
            cleaned.set()

    task = hub.create_task(forever(), "forever")
    await hub.start()
    await asyncio.sleep(0)
    assert hub.task_count == 1
    await hub.stop()
    assert task.cancelled()
    assert cleaned.is_set()
    assert hub.task_count == 0


async def test_finished_tasks_are_forgotten_and_failures_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    hub = Hub()

    async def fail() -> None:
        raise RuntimeError("task broke")

    async def succeed() -> int:
        return 5

    ok = hub.create_task(succeed(), "ok")
    bad = hub.create_task(fail(), "bad")
    with caplog.at_level(logging.ERROR):
        await asyncio.wait([ok, bad])
        await asyncio.sleep(0)
    assert ok.result() == 5
    assert hub.task_count == 0
    assert "Task bad failed" in caplog.text


async def test_task_that_stops_the_hub() -> None:
    hub = Hub()
    await hub.start()
    other = hub.create_task(asyncio.sleep(3600), "sleeper")

    async def stopper() -> None:
        await hub.stop()

    await hub.create_task(stopper(), "stopper")
    assert other.cancelled()
    assert hub.state is CoreState.not_running
