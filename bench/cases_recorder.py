"""The recorder: write throughput, CPU at 100 changes/s, history queries over a generated
history (200 entities changing every 30 s), and the database's size per day."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

import orjson

from bench import ha_recorder, procs
from bench.context import Bench, Case
from bench.hub import Hub, request
from bench.recorder_load import generate
from bench.results import CaseResult, median

CHANGES_PER_SECOND: Final = 100
SENSORS: Final = 200  # at an interval of 2 s: 100 changes per second
CLIENT_TIMEOUT: Final = 600.0
_TICKS: Final = os.sysconf("SC_CLK_TCK")


def hub_config(port: int, sensors: int, interval: float, recorder: str) -> str:
    """Loopback only, demo sensors only, and a `recorder:` section."""
    return (
        "homeassistant:\n  name: Bench Home\n"
        f"http:\n  server_host: ['{procs.LOOPBACK_V4}']\n  server_port: {port}\n"
        f"demo:\n  lights: 1\n  switches: 0\n  sensors: {sensors}\n"
        f"  sensor_interval: {interval}\n" + recorder
    )


def _hub(bench: Bench, name: str, sensors: int, interval: float, recorder: str) -> Hub:
    hub = Hub.prepare(bench.template, bench.root, name, 1)
    (hub.config_dir / "configuration.yaml").write_text(
        hub_config(hub.port, sensors, interval, recorder), encoding="utf-8"
    )
    return hub


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def write_throughput(bench: Bench, result: CaseResult) -> None:
    """Changes per second the recorder writes, in its own process on the server CPU."""
    command = [
        *bench.pinning.server_prefix(),
        *procs.python_command("-m", "bench.recorder_load", "throughput",
                              str(bench.settings.recorder_changes), str(SENSORS)),
    ]  # fmt: skip
    runs: list[dict[str, Any]] = []
    for _ in range(bench.settings.rounds):
        done = subprocess.run(
            command, capture_output=True, cwd=procs.REPO, env=procs.clean_env(),
            timeout=CLIENT_TIMEOUT, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"recorder_load: {done.stderr.decode()[-800:]}")
        run = orjson.loads(done.stdout.splitlines()[-1])
        if run["dropped"] or run["rows"] != bench.settings.recorder_changes:
            raise RuntimeError(f"recorder_load lost changes: {run}")
        runs.append(run)
    result.hearth = [run["rate"] for run in runs]
    per_change = median([run["cpu_us_per_change"] for run in runs])
    result.note = (
        f"{bench.settings.recorder_changes} prepared changes of {SENSORS} sensors fired on the bus "
        f"as fast as the loop can; committed in batches of up to 1000; {per_change:.1f} µs of CPU "
        "per change; nothing dropped"
    )
    result.details["cpu_us_per_change"] = per_change


def cpu_at_rate(bench: Bench, result: CaseResult) -> None:
    """Extra CPU of a hub recording 100 changes/s, against the same hub with recording off."""
    interval = SENSORS / CHANGES_PER_SECOND
    on = _hub(bench, "recorder-on", SENSORS, interval, "")
    off = _hub(bench, "recorder-off", SENSORS, interval, "recorder:\n  enabled: false\n")
    bench.hubs.update({on.name: on, off.name: off})
    window = bench.settings.recorder_window
    try:
        for hub in (on, off):
            hub.start(bench.pinning)
        time.sleep(min(5.0, window))  # past the start-up work
        costs = []
        for _ in range(bench.settings.rounds):
            start = {hub.name: cpu_seconds(hub.pid) for hub in (on, off)}
            time.sleep(window)
            used = {hub.name: cpu_seconds(hub.pid) - start[hub.name] for hub in (on, off)}
            costs.append(100 * (used[on.name] - used[off.name]) / window)
    finally:
        on.stop()
        off.stop()
    result.hearth = costs
    result.details["window_s"] = window
    result.note = (
        f"% of one core: CPU of a hub with {SENSORS} demo sensors changing every {interval:g} s "
        f"and recording, minus the same hub with recording off, over {window:g} s windows "
        f"(both running at once, on the server CPU); "
        f"{1e4 * median(costs) / CHANGES_PER_SECOND:.0f} µs per change"
    )


def _history_hub(bench: Bench) -> tuple[Hub, dict[str, Any]]:
    """A hub on a generated history (generated once per run, shared by the cases)."""
    if "history" in bench.extras:
        hub, data = bench.extras["history"]
        return hub, data
    days = bench.settings.history_days
    hub = _hub(bench, "history", 0, 86400, f"recorder:\n  purge_keep_days: {days + 1}\n")
    began = time.monotonic()
    data = generate(hub.config_dir, bench.settings.history_entities, days)
    data["seconds"] = time.monotonic() - began
    bench.hubs[hub.name] = hub  # stopped with the others, whatever happens
    hub.start(bench.pinning)
    bench.extras["history"] = (hub, data)
    return hub, data


def _query_ms(hub: Hub, token: str, start: float, end: float) -> float:
    when = quote(time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(start)))
    until = quote(time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(end)))
    path = (
        f"/api/history/period/{when}?end_time={until}&filter_entity_id=sensor.bench_7"
        "&minimal_response&no_attributes"
    )
    began = time.perf_counter()
    reply = request(hub.port, "GET", path, token=token, timeout=60)
    elapsed = 1000 * (time.perf_counter() - began)
    if reply.status != 200 or len(orjson.loads(reply.body)[0]) < 2:
        raise RuntimeError(f"history query answered {reply.status}: {reply.body[:200]!r}")
    return elapsed


def _history_query(bench: Bench, result: CaseResult, days: float) -> None:
    hub, data = _history_hub(bench)
    end = data["now"]
    start = end - days * 86400
    _query_ms(hub, bench.token, start, end)  # warm-up
    samples = [_query_ms(hub, bench.token, start, end) for _ in range(bench.settings.rounds * 3)]
    result.hearth = samples
    direct = _direct_ms(hub, start, end, bench.settings.rounds * 3)
    rows = int(days * 86400 / 30)
    result.details["direct_ms"] = median(direct)
    result.note = (
        f"GET /api/history/period (minimal_response, no_attributes) for one of "
        f"{bench.settings.history_entities} sensors changing every 30 s: about {rows} states; "
        f"end to end over HTTP, fresh connection each; the same query and JSON in-process, "
        f"without HTTP (as the HA column): {median(direct):.1f} ms"
    )


def _direct_ms(hub: Hub, start: float, end: float, count: int) -> list[float]:
    """The query and the JSON of the REST answer in this process (no HTTP), in ms, after one
    warm-up, on one read connection."""
    from hearth.core.serialize import dumps
    from hearth.recorder import history
    from hearth.recorder.reader import Reader

    query = history.HistoryQuery(start, end, ("sensor.bench_7",), True, True, True, True)
    reader = Reader(hub.config_dir / "hearth-history.db")

    def read(conn: Any) -> bytes:
        found, attributes = history.fetch(conn, query)
        return dumps(history.full(found, attributes, query))

    try:
        reader.read_now(read, lambda: b"")
        samples = []
        for _ in range(count):
            began = time.perf_counter()
            reader.read_now(read, lambda: b"")
            samples.append(1000 * (time.perf_counter() - began))
        return samples
    finally:
        reader.close()


def history_day(bench: Bench, result: CaseResult) -> None:
    """One entity's last 24 hours."""
    _history_query(bench, result, min(1.0, bench.settings.history_days))


def history_days(bench: Bench, result: CaseResult) -> None:
    """One entity's whole generated history."""
    _history_query(bench, result, bench.settings.history_days)


def size_per_day(bench: Bench, result: CaseResult) -> None:
    """The generated database's size divided by its days (stop the history hub afterwards)."""
    hub, data = _history_hub(bench)
    hub.stop()
    days = bench.settings.history_days
    result.hearth = [data["bytes"] / days / 1e6]
    result.note = (
        f"{data['rows']} states of {bench.settings.history_entities} sensors over {days} days "
        f"({data['bytes'] / data['rows']:.0f} bytes per state, indexes included), generated in "
        f"{data['seconds']:.0f} s"
    )


CASES = (
    Case("recorder_write", "10. Recorder: changes written per second", "changes/s",
         write_throughput, reference=ha_recorder.REFERENCE["recorder_write"]),
    Case("recorder_cpu", "10. Recorder: CPU at 100 changes/s", "% core", cpu_at_rate,
         reference=ha_recorder.REFERENCE["recorder_cpu"]),
    Case("history_day", "10. History of one entity, 24 h ({history_entities} entities, 30 s)",
         "ms", history_day, reference=ha_recorder.REFERENCE["history_day"]),
    Case("history_days", "10. History of one entity, {history_days} days", "ms", history_days,
         reference=ha_recorder.REFERENCE["history_days"]),
    Case("history_size", "10. History database per day", "MB", size_per_day,
         reference=ha_recorder.REFERENCE["history_size"]),
)  # fmt: skip
