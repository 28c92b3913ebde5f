"""The recorder in the real hub process: history that survives a restart and a kill -9, a full
disk that stops recording (not the hub), the purge, and the exclude rules."""

from __future__ import annotations

import asyncio
import json
import os
import resource
import signal
import sqlite3
import stat
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from hearth.const import RECORDER_DATABASE_FILE, RECORDER_STATUS_FILE
from tests.acceptance.support import (
    HOST,
    HubFactory,
    RunningHub,
    hearth,
    request,
    start_hub,
    wait_listening,
)
from tests.acceptance.support_ws import ws_auth, ws_result
from tests.recorder.support import T0, database, history

pytestmark = pytest.mark.acceptance

LIGHT = "light.demo_light_1"
DAY = 86400.0
WAIT = 10.0


def iso(seconds_ago: float) -> str:
    return datetime.fromtimestamp(time.time() - seconds_ago, UTC).isoformat()


def rows(config_dir: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """A read-only query of the hub's history database (beside the running hub)."""
    path = config_dir / RECORDER_DATABASE_FILE
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as conn:
        return conn.execute(sql, params).fetchall()


def states_of(config_dir: Path, entity_id: str) -> list[str]:
    return [
        state
        for (state,) in rows(
            config_dir,
            "SELECT state FROM states JOIN entities ON entities.id = states.entity "
            "WHERE entity_id = ? ORDER BY updated",
            (entity_id,),
        )
    ]


def wait_for(check: Any, what: str) -> Any:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def set_state(hub: RunningHub, entity_id: str, state: str, attributes: dict[str, Any]) -> None:
    body = json.dumps({"state": state, "attributes": attributes}).encode()
    reply = request(hub, "POST", f"/api/states/{entity_id}", token=hub.token, body=body)
    assert reply.status in (200, 201), reply


async def _stream_and_toggle(hub: RunningHub) -> tuple[dict[str, Any], dict[str, Any], list[Any]]:
    async with aiohttp.ClientSession() as session, session.ws_connect(hub.ws_url) as ws:
        await ws_auth(ws, hub.token)
        await ws.send_json(
            {"id": 1, "type": "history/stream", "start_time": iso(600),
             "entity_ids": [LIGHT, "switch.demo_switch_2"], "minimal_response": True,
             "no_attributes": True}
        )  # fmt: skip
        assert (await ws_result(ws, 1))["success"] is True
        past = (await ws.receive_json(timeout=5))["event"]
        await ws.send_json(
            {"id": 2, "type": "call_service", "domain": "homeassistant", "service": "toggle",
             "service_data": {"entity_id": [LIGHT, "switch.demo_switch_2"]}}
        )  # fmt: skip
        live: dict[str, Any] = {}
        async with asyncio.timeout(5):
            while LIGHT not in live.get("states", {}):
                message = await ws.receive_json()
                if message.get("type") == "event" and message["id"] == 1:
                    live = message["event"]
        await ws.send_json({"id": 3, "type": "logbook/get_events", "start_time": iso(600)})
        entries = (await ws_result(ws, 3))["result"]
        assert isinstance(entries, list)
        return past, live, entries


def test_history_live_past_restart_and_excludes(hub_factory: HubFactory) -> None:
    hub = hub_factory("recorder:\n  exclude:\n    entities: switch.demo_switch_2\n")
    past, live, entries = asyncio.run(_stream_and_toggle(hub))
    # The frontend's shape: minimal, no attributes; the excluded switch has no history.
    assert past["states"][LIGHT][0]["s"] == "on"
    assert set(past["states"][LIGHT][0]) == {"s", "lu"}
    assert "switch.demo_switch_2" not in past["states"]
    assert live["states"][LIGHT][0]["s"] == "off"  # live, even for the excluded switch's peer
    # The logbook says who: the admin of the token, by a homeassistant.toggle call.
    (entry,) = [item for item in entries if item.get("entity_id") == LIGHT]
    assert entry["state"] == "off"
    assert entry["context_user_id"]
    assert entry["context_service"] == "toggle"

    restarted = hub_factory(restart=hub)
    reply = request(
        restarted, "GET", f"/api/history/period/{iso(600)}?filter_entity_id={LIGHT}",
        token=restarted.token,
    )  # fmt: skip
    assert [state["state"] for state in reply.json()[0]] == ["on", "off", "on"]  # after restart
    assert "switch.demo_switch_2" not in [
        eid for (eid,) in rows(hub.config_dir, "SELECT entity_id FROM entities")
    ]
    for name in (RECORDER_DATABASE_FILE, RECORDER_STATUS_FILE):
        assert stat.S_IMODE((hub.config_dir / name).stat().st_mode) == 0o600


async def _burst(hub: RunningHub, acked: list[tuple[int, float]], stop: float) -> None:
    headers = {"Authorization": f"Bearer {hub.token}"}
    url = f"http://{HOST}:{hub.port}/api/states/sensor.burst"
    async with aiohttp.ClientSession(headers=headers) as session:
        number = 0
        while time.monotonic() < stop:
            number += 1
            try:
                async with session.post(url, json={"state": str(number)}) as reply:
                    await reply.read()
            except aiohttp.ClientError:
                return
            acked.append((number, time.monotonic()))


def test_kill_during_a_burst_loses_at_most_one_batch(hub_factory: HubFactory) -> None:
    hub = hub_factory()
    acked: list[tuple[int, float]] = []

    async def burst_then_kill() -> float:
        task = asyncio.create_task(_burst(hub, acked, time.monotonic() + 30))
        await asyncio.sleep(2.5)  # a few batches in, and one being gathered
        hub.process.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        await asyncio.wait_for(task, 10)
        return killed

    killed = asyncio.run(burst_then_kill())
    hub.process.wait(10)
    hub.stopped = True
    assert rows(hub.config_dir, "PRAGMA integrity_check") == [("ok",)]
    recorded = {int(state) for state in states_of(hub.config_dir, "sensor.burst")}
    # Everything acknowledged more than one commit interval (1 s, plus the commit itself)
    # before the kill is on disk: at most the batch being gathered was lost.
    older = {number for number, at in acked if at < killed - 1.5}
    assert len(older) > 100, "the burst was too slow to mean anything"
    assert older <= recorded, sorted(older - recorded)[:10]
    # The hub starts again on the same files, and records.
    log = hub.log_path.with_name("after-kill.log")
    process = start_hub(hub.config_dir, hub.port, log)
    restarted = RunningHub(hub.config_dir, hub.port, hub.token, process, log)
    try:
        wait_listening(process, hub.port, log)
        set_state(restarted, "sensor.burst", "after", {})
        wait_for(lambda: "after" in states_of(hub.config_dir, "sensor.burst"), "a change")
    finally:
        assert restarted.stop() == 0, restarted.log()
    restarted.assert_clean_log()


def test_full_disk_stops_recording_not_the_hub(hub_factory: HubFactory) -> None:
    """RLIMIT_FSIZE on the hub process stands in for a full disk: writes past it fail (EFBIG)."""
    hub = hub_factory("recorder:\n  retry_interval: 1s\n")
    files = [hub.config_dir / f"{RECORDER_DATABASE_FILE}{s}" for s in ("", "-wal")]
    limit = max(path.stat().st_size for path in files) + 1024 * 1024
    resource.prlimit(hub.process.pid, resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
    try:
        for number in range(40):  # 40 distinct 64 KiB attribute sets: far past the limit
            set_state(hub, "sensor.big", str(number), {"blob": f"{number:04d}" * 16384})
            time.sleep(0.02)
        wait_for(lambda: "Recording stopped" in hub.log(), "the recorder to stop")
        for number in range(40, 60):  # the hub keeps serving: writes, reads, history
            set_state(hub, "sensor.big", str(number), {"blob": f"{number:04d}" * 16384})
        assert request(hub, "GET", "/api/states", token=hub.token).status == 200
        reply = request(
            hub, "GET", f"/api/history/period/{iso(600)}?filter_entity_id={LIGHT}", token=hub.token
        )
        assert reply.status == 200
        assert hub.log().count("Recording stopped") == 1  # one line, however many changes
        assert "file size limit" in hub.log()
        report = hearth(hub.config_dir, "check", "--json", "--offline")
        found = {finding["id"] for finding in json.loads(report.stdout)["findings"]}
        assert "recorder.not_recording" in found
    finally:
        resource.prlimit(hub.process.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY,) * 2)
    # Room again: it resumes by itself and records the current states.
    wait_for(lambda: "Recording resumed" in hub.log(), "the recorder to resume")
    set_state(hub, "sensor.big", "small again", {})
    wait_for(lambda: "small again" in states_of(hub.config_dir, "sensor.big"), "a new row")
    report = hearth(hub.config_dir, "check", "--json", "--offline")
    found = {finding["id"] for finding in json.loads(report.stdout)["findings"]}
    assert "recorder.not_recording" not in found


def test_purge_keeps_exactly_the_configured_days(hub_factory: HubFactory, tmp_path: Path) -> None:
    hub = hub_factory("recorder:\n  purge_keep_days: 10\n")
    assert hub.stop() == 0
    offset = time.time() - T0
    with database(hub.config_dir / RECORDER_DATABASE_FILE) as (conn, batch):
        ages = (12.0, 10.01, 9.99, 6.0, 2.0)
        batch.write(history("sensor.old", [(offset - age * DAY, str(age)) for age in ages]))
        # As if the hub had been off since the day before yesterday: it purges at start.
        conn.execute(
            "UPDATE meta SET value = ? WHERE key = 'last_purge'", (repr(time.time() - 2 * DAY),)
        )
    restarted = hub_factory(restart=hub)
    wait_for(lambda: states_of(hub.config_dir, "sensor.old") == ["9.99", "6.0", "2.0"], "purge")
    # The CLI beside the running hub: short transactions, the hub keeps recording.
    purged = hearth(hub.config_dir, "recorder", "purge", "--keep-days", "5")
    assert purged.returncode == 0, purged.stderr
    assert states_of(hub.config_dir, "sensor.old") == ["2.0"]
    set_state(restarted, "sensor.old", "new", {})
    wait_for(lambda: states_of(hub.config_dir, "sensor.old") == ["2.0", "new"], "recording")
    assert os.path.exists(hub.config_dir / RECORDER_STATUS_FILE)
