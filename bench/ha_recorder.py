"""Home Assistant 2024.3's recorder, measured the way bench.cases_recorder measures Hearth's.

REFERENCE holds the figures of the table's last column for the recorder rows (empty: not
measured). They come from `python -m bench.ha_recorder VENV`, where VENV is a virtualenv with
`homeassistant==2024.3.3` and what its always-loaded integrations import (`make bench` does not
install Home Assistant: a one-off measurement, printed for pasting here). It runs `hass` with a
small custom integration of ours (written into each configuration directory) that does what the
Hearth cases do:

- write throughput: the same prepared `state_changed` events (200 temperature sensors) fired on
  the bus as fast as the loop can, timed until the recorder has committed them;
- CPU at 100 changes/s: 200 sensors changing every 2 s, Home Assistant with `recorder:` against
  the same configuration without it, both at once on one CPU, CPU time over 10 s windows;
- history queries and size: 10 days of 200 sensors every 30 s written into Home Assistant's own
  database (its first row of each sensor by its recorder, the rest the same rows at new times, in
  time order, as its recorder writes them: a random context id each, the previous state's id),
  then `history.get_significant_states` (minimal_response, no_attributes, as REST) plus the JSON
  of the answer, in Home Assistant's recorder executor — without HTTP, which Hearth's row
  includes.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Final

from bench import procs

REFERENCE: Final[dict[str, str]] = {
    "recorder_write": "",
    "recorder_cpu": "",
    "history_day": "",
    "history_days": "",
    "history_size": "",
}

SENSORS: Final = 200
TICKS: Final = os.sysconf("SC_CLK_TCK")
START_TIMEOUT: Final = 180.0
RESULT: Final = "bench_result.json"

COMPONENT: Final = '''
"""Bench load for the recorder (bench/ha_recorder.py in Hearth): writes bench_result.json."""
import asyncio, json, random, time
from datetime import datetime, timedelta, timezone
from homeassistant.const import EVENT_HOMEASSISTANT_STARTED, EVENT_STATE_CHANGED
from homeassistant.core import Context, State, callback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.json import JSON_DUMP

DOMAIN = "bench_recorder"


def _attributes(n):
    return {"state_class": "measurement", "unit_of_measurement": "\\u00b0C",
            "device_class": "temperature", "friendly_name": f"Bench Sensor {n}"}


async def async_setup(hass, config):
    conf = config[DOMAIN]
    mode, sensors = conf["mode"], conf["sensors"]
    attributes = [_attributes(n) for n in range(sensors)]
    out = hass.config.path("bench_result.json")

    def write(result):
        with open(out, "w") as file:
            json.dump(result, file)

    if mode in ("cpu", "prepare"):
        values = [18.0 + n % 9 * 0.5 for n in range(sensors)]
        tick = [0]

        @callback
        def update(now):
            tick[0] += 1
            for n in range(sensors):
                values[n] = round(values[n] + (0.1 if (tick[0] + n) % 2 else -0.1), 1)
                hass.states.async_set(f"sensor.bench_{n}", f"{values[n]:.1f}", attributes[n])

        if mode == "prepare":
            update(None)
        else:
            async_track_time_interval(hass, update, timedelta(seconds=conf["interval"]))

    async def started(_event):
        from homeassistant.components.recorder import get_instance, history
        instance = get_instance(hass) if "recorder" in hass.config.components else None
        if instance is not None:
            await instance.async_block_till_done()
        if mode == "throughput":
            changes = conf["changes"]
            base = time.time() - changes
            old = [None] * sensors
            events = []
            for index in range(changes):
                n = index % sensors
                when = datetime.fromtimestamp(base + index * 0.001, timezone.utc)
                shared = old[n].attributes if old[n] is not None else attributes[n]
                state = State(f"sensor.bench_{n}", f"{20 + index % 97 / 10:.1f}", shared,
                              when, when, context=Context())
                events.append(
                    {"entity_id": state.entity_id, "old_state": old[n], "new_state": state})
                old[n] = state
            fire = getattr(hass.bus, "async_fire_internal", hass.bus.async_fire)
            began, cpu = time.perf_counter(), time.process_time()
            for index, data in enumerate(events):
                fire(EVENT_STATE_CHANGED, data)
                if index % 500 == 0:
                    await asyncio.sleep(0)
            await instance.async_block_till_done()
            seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
            write({"rate": changes / seconds, "cpu_us_per_change": 1e6 * cpu / changes})
        elif mode == "query":
            end = conf["end"]
            timings = {}
            for label, days in (("day", 1), ("days", conf["days"])):
                start = datetime.fromtimestamp(end - days * 86400, timezone.utc)
                until = datetime.fromtimestamp(end, timezone.utc)

                def query():
                    began = time.perf_counter()
                    states = history.get_significant_states(
                        hass, start, until, ["sensor.bench_7"], None, True, True, True, True,
                        False)
                    body = JSON_DUMP(list(states.values()))
                    elapsed = 1000 * (time.perf_counter() - began)
                    return elapsed, len(states["sensor.bench_7"]), len(body)

                runs = [await instance.async_add_executor_job(query)
                        for _ in range(conf["rounds"] + 1)]
                timings[label] = [run[0] for run in runs[1:]]
                timings[label + "_states"] = runs[-1][1]
            write(timings)
        else:
            write({"started": time.time()})

    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STARTED, started)
    return True
'''
MANIFEST: Final = {
    "domain": "bench_recorder",
    "name": "Bench recorder",
    "version": "1.0.0",
    "after_dependencies": ["recorder"],
    "codeowners": [],
    "documentation": "https://example.invalid",
    "iot_class": "local_push",
    "requirements": [],
}


class HaHub:
    """One `hass` process on its own configuration directory."""

    def __init__(
        self, venv: Path, root: Path, name: str, recorder: bool, bench: dict[str, Any]
    ) -> None:
        self.venv, self.dir = venv, root / name
        self.dir.mkdir(parents=True)
        component = self.dir / "custom_components" / "bench_recorder"
        component.mkdir(parents=True)
        (component / "__init__.py").write_text(COMPONENT, encoding="utf-8")
        (component / "manifest.json").write_text(json.dumps(MANIFEST), encoding="utf-8")
        recorder_section = (
            "recorder:\n  commit_interval: 1\n  purge_keep_days: 11\n  auto_purge: false\n"
            if recorder else ""
        )  # fmt: skip
        (self.dir / "configuration.yaml").write_text(
            "homeassistant:\n  name: Bench\n  time_zone: UTC\n  latitude: 0\n  longitude: 0\n"
            "  elevation: 0\n  unit_system: metric\n"
            f"http:\n  server_host: 127.0.0.1\n  server_port: {procs.free_port()}\n"
            + recorder_section
            + "bench_recorder:\n"
            + "".join(f"  {key}: {value}\n" for key, value in bench.items()),
            encoding="utf-8",
        )
        self.log = root / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, pinning: procs.Pinning) -> None:
        """Start `hass` (pip disabled: the venv has what it needs)."""
        (self.dir / RESULT).unlink(missing_ok=True)
        command = [str(self.venv / "bin" / "hass"), "-c", str(self.dir), "--skip-pip"]
        self.process = procs.start(command, self.log, pinning=pinning)

    def result(self, timeout: float = START_TIMEOUT) -> dict[str, Any]:
        """bench_result.json, once the integration has written it."""
        deadline = time.monotonic() + timeout
        path = self.dir / RESULT
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"hass exited:\n{procs.tail(self.log)}")
            if path.exists() and path.stat().st_size:
                time.sleep(0.1)
                data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
                return data
            time.sleep(0.2)
        raise RuntimeError(f"no result from hass:\n{procs.tail(self.log)}")

    def stop(self) -> None:
        """SIGTERM and wait."""
        if self.process is not None:
            procs.stop(self.process, timeout=60)
            self.process = None


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def throughput(
    venv: Path, root: Path, pinning: procs.Pinning, changes: int, rounds: int
) -> list[dict[str, Any]]:
    runs = []
    for number in range(rounds):
        hub = HaHub(
            venv,
            root,
            f"throughput{number}",
            True,
            {"mode": "throughput", "sensors": SENSORS, "changes": changes},
        )
        hub.start(pinning)
        try:
            runs.append(hub.result())
        finally:
            hub.stop()
    return runs


def cpu(venv: Path, root: Path, pinning: procs.Pinning, window: float, rounds: int) -> list[float]:
    bench = {"mode": "cpu", "sensors": SENSORS, "interval": 2}
    on, off = HaHub(venv, root, "cpu-on", True, bench), HaHub(venv, root, "cpu-off", False, bench)
    try:
        for hub in (on, off):
            hub.start(pinning)
        for hub in (on, off):
            hub.result()
        time.sleep(10)
        costs: list[float] = []
        for _ in range(rounds):
            if on.process is None or off.process is None:
                raise RuntimeError("a hass process is gone")
            start = (cpu_seconds(on.process.pid), cpu_seconds(off.process.pid))
            time.sleep(window)
            used = (cpu_seconds(on.process.pid) - start[0], cpu_seconds(off.process.pid) - start[1])
            costs.append(100 * (used[0] - used[1]) / window)
        return costs
    finally:
        on.stop()
        off.stop()


def history(
    venv: Path, root: Path, pinning: procs.Pinning, days: int, rounds: int
) -> dict[str, Any]:
    hub = HaHub(venv, root, "history", True, {"mode": "prepare", "sensors": SENSORS})
    hub.start(pinning)
    try:
        hub.result()
        time.sleep(3)  # the recorder commits the first states
    finally:
        hub.stop()
    path = hub.dir / "home-assistant_v2.db"
    began = time.monotonic()
    end = _generate(path, days)
    generated = time.monotonic() - began
    size = path.stat().st_size
    shutil.copy(hub.dir / "configuration.yaml", hub.dir / "configuration.yaml.prepare")
    text = (hub.dir / "configuration.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "  mode: prepare\n", f"  mode: query\n  end: {end}\n  days: {days}\n  rounds: {rounds}\n"
    )
    (hub.dir / "configuration.yaml").write_text(text, encoding="utf-8")
    hub.start(pinning)
    try:
        timings = hub.result(timeout=600)
    finally:
        hub.stop()
    return {**timings, "bytes": size, "period_days": days, "generated_s": generated}


def _generate(path: Path, days: int, interval: float = 30.0) -> float:
    """Home Assistant's rows for `days` of SENSORS sensors every `interval` s, ending now."""
    rng = random.Random(7)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        last = {
            metadata: (state_id, attributes)
            for state_id, metadata, attributes in conn.execute(
                "SELECT max(state_id), metadata_id, attributes_id FROM states GROUP BY metadata_id"
            )
        }
        conn.execute("DELETE FROM states")  # the prepared rows: regenerated below, in the past
        metas = sorted(last)
        now = time.time()
        first = now - days * 86400 + 60
        values = {meta: 18.0 + rng.random() * 6 for meta in metas}
        previous: dict[int, int | None] = dict.fromkeys(metas)
        state_id = 0
        step = 0
        rows: list[tuple[Any, ...]] = []
        while (moment := first + step * interval) < now:
            for number, meta in enumerate(metas):
                values[meta] = min(
                    35.0, max(10.0, values[meta] + rng.choice((-0.3, -0.1, 0.1, 0.2)))
                )
                state_id += 1
                when = moment + number * interval / len(metas)
                rows.append((state_id, f"{values[meta]:.1f}", when, previous[meta],
                             last[meta][1], rng.randbytes(16), meta))  # fmt: skip
                previous[meta] = state_id
            step += 1
            if len(rows) >= 100_000:
                _insert(conn, rows)
        _insert(conn, rows)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return now


def _insert(conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO states (state_id, state, last_updated_ts, old_state_id, attributes_id, "
        "origin_idx, context_id_bin, metadata_id) VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
        rows,
    )
    conn.execute("COMMIT")
    rows.clear()


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def main(argv: list[str]) -> int:
    """`VENV [--smoke]`: measure and print the REFERENCE figures."""
    if not argv or not (Path(argv[0]) / "bin" / "hass").exists():
        print("usage: python -m bench.ha_recorder VENV [--smoke]  (VENV/bin/hass must exist)",
              file=sys.stderr)  # fmt: skip
        return 2
    venv, smoke = Path(argv[0]), "--smoke" in argv
    pinning = procs.plan_pinning()
    procs.pin_self(pinning)
    rounds, window = (1, 2.0) if smoke else (5, 10.0)
    with tempfile.TemporaryDirectory(prefix="ha-recorder-") as tmp:
        root = Path(tmp)
        writes = throughput(venv, root, pinning, 2000 if smoke else 40_000, rounds)
        costs = cpu(venv, root, pinning, window, rounds)
        found = history(venv, root, pinning, 1 if smoke else 10, rounds * 3)
    figures = {
        "recorder_write": f"{_median([w['rate'] for w in writes]):,.0f} changes/s "
        f"({_median([w['cpu_us_per_change'] for w in writes]):.0f} µs CPU each)",
        "recorder_cpu": f"{_median(costs):.1f} % core",
        "history_day": f"{_median(found['day']):.1f} ms ({found['day_states']} states, no HTTP)",
        "history_days": f"{_median(found['days']):.1f} ms ({found['days_states']} states, no HTTP)",
        "history_size": f"{found['bytes'] / found['period_days'] / 1e6:.1f} MB",
    }
    print(
        json.dumps(
            {"figures": figures, "raw": {"writes": writes, "cpu": costs, "history": found}},
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
