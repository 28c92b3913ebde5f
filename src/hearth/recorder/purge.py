"""Deleting history older than the cut-off, a small batch per short transaction.

Each step deletes at most `batch` rows and commits, so the writer (or a running hub, when the
CLI purges) never waits long for the database. Rows are deleted by the clustered key, one
entity's oldest rows at a time: no scan of the whole table.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from hearth import const
from hearth.recorder.batch import LAST_USED_SLACK

# Contexts and attribute sets are kept this much longer than states: a state just after the
# cut-off may point at a context or set first stored just before it.
REFERENCE_MARGIN: Final = LAST_USED_SLACK
META_LAST_PURGE: Final = "last_purge"


@dataclass
class PurgeRun:
    """One purge, done step by step; `done` once nothing older than `cutoff` is left."""

    cutoff: float
    batch: int
    remove_entities: bool = False  # only the hub may (its writer caches entity ids)
    deleted: dict[str, int] = field(default_factory=dict)
    done: bool = False
    _entity: int = -1  # entities with a smaller id are done
    _phase: int = 0

    @property
    def past_states(self) -> bool:
        """Whether the run deletes what the writer's caches point at (contexts, sets, ids)."""
        return self._phase > 0 or self.done

    def step(self, conn: sqlite3.Connection) -> None:
        """Delete at most `batch` rows in one transaction (or finish the run)."""
        conn.execute("BEGIN IMMEDIATE")
        try:
            budget = self.batch
            while budget > 0 and not self.done:
                budget -= self._work(conn, budget)
            if self.done:
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (META_LAST_PURGE, repr(time.time())),
                )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _count(self, table: str, rows: int) -> int:
        self.deleted[table] = self.deleted.get(table, 0) + rows
        return rows

    def _work(self, conn: sqlite3.Connection, budget: int) -> int:
        """Some deletions (at most `budget` rows); moves to the next phase when one is done."""
        if self._phase == 0:
            return self._states(conn, budget)
        margin = self.cutoff - REFERENCE_MARGIN
        statements = (
            ("events", "SELECT id FROM events WHERE time < ? ORDER BY time LIMIT ?", self.cutoff),
            ("contexts", "SELECT id FROM contexts WHERE time < ? LIMIT ?", margin),
            ("attributes", "SELECT id FROM attributes WHERE last_used < ? LIMIT ?", margin),
        )
        if self._phase <= len(statements):
            table, select, before = statements[self._phase - 1]
            rows = conn.execute(
                f"DELETE FROM {table} WHERE id IN ({select})",  # noqa: S608 - fixed names
                (before, budget),
            ).rowcount
            if rows < budget:
                self._phase += 1
            return self._count(table, rows) or 1
        if self.remove_entities:
            rows = conn.execute(
                "DELETE FROM entities WHERE NOT EXISTS "
                "(SELECT 1 FROM states WHERE states.entity = entities.id)"
            ).rowcount
            self._count("entities", rows)
        self.done = True
        return 1

    def _states(self, conn: sqlite3.Connection, budget: int) -> int:
        row = conn.execute(
            "SELECT id FROM entities WHERE id > ? ORDER BY id LIMIT 1", (self._entity,)
        ).fetchone()
        if row is None:
            self._phase = 1
            return 1
        entity = int(row[0])
        # The newest row this step may delete: the budget-th oldest before the cut-off.
        last = conn.execute(
            "SELECT updated FROM states WHERE entity = ? AND updated < ? "
            "ORDER BY updated LIMIT 1 OFFSET ?",
            (entity, self.cutoff, budget - 1),
        ).fetchone()
        if last is None:
            rows = conn.execute(
                "DELETE FROM states WHERE entity = ? AND updated < ?", (entity, self.cutoff)
            ).rowcount
            self._entity = entity
        else:
            rows = conn.execute(
                "DELETE FROM states WHERE entity = ? AND updated <= ?", (entity, last[0])
            ).rowcount
        return self._count("states", rows) or 1


def last_purge(conn: sqlite3.Connection) -> float | None:
    """When the last purge finished (seconds since the epoch), or None."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (META_LAST_PURGE,)).fetchone()
    try:
        return float(row[0]) if row is not None else None
    except ValueError:
        return None


class PurgeSchedule:
    """When the writer purges: nightly at RECORDER_PURGE_HOUR, and at once when overdue."""

    def __init__(self, keep_days: int, batch: int, time_zone: str) -> None:
        self.keep_days = keep_days
        self.batch = batch
        self.time_zone = time_zone
        self.run: PurgeRun | None = None
        self.next = 0.0

    def schedule(self, last: float | None) -> None:
        """Plan the next purge after the one that finished at `last` (None: never)."""
        now = time.time()
        if last is None or now - last > 86400:
            self.next = now  # overdue (or never run): purge now, step by step
        else:
            self.next = next_purge_time(now, self.time_zone)

    def due(self) -> bool:
        """Whether a purge runs or should start."""
        return self.run is not None or time.time() >= self.next

    def wait(self) -> float:
        """Seconds until the next purge should start."""
        return max(0.0, self.next - time.time())

    def retry_at(self, when: float) -> None:
        """Abandon the run (it failed) and start again at `when`."""
        self.run = None
        self.next = when

    @property
    def touched_references(self) -> bool:
        """Whether the current (or just finished) run deleted contexts, sets or entity ids."""
        return self.run is None or self.run.past_states

    def step(self, conn: sqlite3.Connection) -> PurgeRun | None:
        """One step of the purge (starting one); the run once it has finished, else None."""
        if self.run is None:
            cutoff = time.time() - self.keep_days * 86400
            self.run = PurgeRun(cutoff, self.batch, remove_entities=True)
        run = self.run
        run.step(conn)
        if not run.done:
            return None
        self.run = None
        self.next = next_purge_time(time.time(), self.time_zone)
        return run


def next_purge_time(now: float, time_zone: str) -> float:
    """The next RECORDER_PURGE_HOUR o'clock in the hub's time zone after `now`."""
    zone = ZoneInfo(time_zone)
    local = datetime.fromtimestamp(now, zone)
    target = local.replace(hour=const.RECORDER_PURGE_HOUR, minute=0, second=0, microsecond=0)
    if target <= local:
        target = (target + timedelta(days=1)).replace(hour=const.RECORDER_PURGE_HOUR)
    return target.timestamp()
