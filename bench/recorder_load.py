"""The recorder in one process, for the benchmark: how many changes per second it keeps up with,
and a history database filled with generated days (200 entities changing every 30 s).

`python -m bench.recorder_load throughput CHANGES ENTITIES` drives the real state machine of a
bare hub (no HTTP) as fast as it can, with the real recorder listening, until the writer has
committed everything; prints one JSON line. `generate` is used in-process by the cases.
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from hearth.config.recorder_fields import RecorderSection
from hearth.const import RECORDER_DATABASE_FILE
from hearth.core.events import EVENT_STATE_CHANGED, Event
from hearth.core.hub import Hub
from hearth.core.state import State
from hearth.recorder import Recorder
from hearth.recorder.batch import BatchWriter
from hearth.recorder.filters import filters_for
from hearth.recorder.schema import open_writer

CHUNK: Final = 100_000  # generated rows per transaction


def sensor_attributes(number: int) -> dict[str, Any]:
    """A temperature sensor's attributes, as the demo's."""
    return {
        "state_class": "measurement",
        "unit_of_measurement": "°C",
        "device_class": "temperature",
        "friendly_name": f"Bench Sensor {number}",
    }


async def throughput(changes: int, entities: int, directory: Path) -> dict[str, Any]:
    """Changes per second the recorder writes: prepared state_changed events dispatched on the
    bus as fast as the loop can, until the writer has committed them all (in batches)."""
    hub = Hub()
    recorder = Recorder(hub, directory, RecorderSection())
    await recorder.start()
    events = _changes(changes, entities)
    began, cpu = time.perf_counter(), time.process_time()
    for index, event in enumerate(events):
        hub.bus.dispatch(event)  # to the recorder's listener, as the state machine does
        if index % 500 == 0:
            await asyncio.sleep(0)  # as the hub's loop would, between other work
    await recorder.flush()
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    dropped = recorder.writer.dropped
    await recorder.stop()
    with sqlite3.connect(directory / RECORDER_DATABASE_FILE) as conn:
        rows = int(conn.execute("SELECT count(*) FROM states").fetchone()[0])
    return {
        "rate": changes / seconds,
        "seconds": seconds,
        "cpu_us_per_change": 1e6 * cpu / changes,
        "dropped": dropped,
        "rows": rows,
    }


def _changes(changes: int, entities: int) -> list[Event]:
    """`changes` state_changed events of `entities` sensors, as the state machine fires them."""
    attributes = [sensor_attributes(number) for number in range(entities)]
    old: list[State | None] = [None] * entities
    events = []
    base = time.time() - changes
    for index in range(changes):
        entity = index % entities
        when = datetime.fromtimestamp(base + index * 0.001, UTC)
        previous = old[entity]
        shared = previous.attributes if previous is not None else attributes[entity]
        state = State(f"sensor.bench_{entity}", f"{20 + index % 97 / 10:.1f}", shared, when, when)
        data = {"entity_id": state.entity_id, "old_state": previous, "new_state": state}
        events.append(Event(EVENT_STATE_CHANGED, data, time_fired=when))
        old[entity] = state
    return events


def generate(
    config_dir: Path, entities: int, days: float, interval: float = 30.0
) -> dict[str, Any]:
    """Fill the hub's history database with `days` of `entities` sensors changing every
    `interval` seconds, ending now; rows exactly as the recorder writes them."""
    path = config_dir / RECORDER_DATABASE_FILE
    now = time.time()
    first = now - days * 86400 + 60
    rng = random.Random(7)
    conn = open_writer(path)
    try:
        _, attribute_filter = filters_for(RecorderSection())
        batch = BatchWriter(conn, attribute_filter)
        values = [18.0 + rng.random() * 6 for _ in range(entities)]
        # The first reading of each entity goes through the recorder's own code (its entity id
        # and attribute set); the rest repeat those rows with new times and values.
        events = []
        for number in range(entities):
            when = datetime.fromtimestamp(first + number * interval / entities, UTC)
            state = State(f"sensor.bench_{number}", f"{values[number]:.1f}",
                          sensor_attributes(number), when, when)  # fmt: skip
            data = {"entity_id": state.entity_id, "old_state": None, "new_state": state}
            events.append(Event(EVENT_STATE_CHANGED, data, time_fired=when))
        batch.write(events)
        ids = dict(conn.execute("SELECT entity_id, id FROM entities").fetchall())
        attribute_of = {
            entity: int(row[0])
            for entity, row in (
                (
                    entity,
                    conn.execute(
                        "SELECT attributes FROM states WHERE entity = ?", (entity,)
                    ).fetchone(),
                )
                for entity in ids.values()
            )
        }
        rows = 0
        pending: list[tuple[Any, ...]] = []
        step = 1
        while (moment := first + step * interval) < now:
            for number in range(entities):
                values[number] = min(
                    35.0, max(10.0, values[number] + rng.choice((-0.3, -0.1, 0.1, 0.2)))
                )
                entity = ids[f"sensor.bench_{number}"]
                at = moment + number * interval / entities
                pending.append(
                    (entity, at, None, f"{values[number]:.1f}", attribute_of[entity], None)
                )
            step += 1
            if len(pending) >= CHUNK:
                rows += _insert(conn, pending)
        rows += _insert(conn, pending)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return {"rows": rows + entities, "bytes": path.stat().st_size, "first": first, "now": now}


def _insert(conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> int:
    if not rows:
        return 0
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany("INSERT OR IGNORE INTO states VALUES (?, ?, ?, ?, ?, ?)", rows)
    conn.execute("COMMIT")
    count = len(rows)
    rows.clear()
    return count


def main(argv: list[str]) -> int:
    """`throughput CHANGES ENTITIES`: one JSON line."""
    if len(argv) != 3 or argv[0] != "throughput":
        print("usage: python -m bench.recorder_load throughput CHANGES ENTITIES", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="hearth-recorder-") as directory:
        result = asyncio.run(throughput(int(argv[1]), int(argv[2]), Path(directory)))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
