"""SQLite persistence of bans, failure counters and the change log other processes follow.

Reads are methods (the event loop's connection); writes are functions of a connection that the
manager runs in the writer thread: bans durably, failure counters as batched bookkeeping.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Final

from hearth.bans.policy import BanRecord
from hearth.storage.db import Database

# Change-log rows kept; a hub that falls further behind than this reloads every ban.
MAX_CHANGES_KEPT: Final = 10_000

_BAN_COLUMNS: Final = "client, banned_at, expires_at, offences, source, reason"


def _record(row: tuple[str, float, float | None, int, str, str]) -> BanRecord:
    client, banned_at, expires_at, offences, source, reason = row
    return BanRecord(client, banned_at, expires_at, offences, source, reason)


class BanStore:
    """Reads the ban tables; every ban change (below) also appends to `ip_ban_changes`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # Bans

    def active(self, now: float) -> list[BanRecord]:
        """Bans in force at `now`, oldest first."""
        rows = self.db.query(
            f"SELECT {_BAN_COLUMNS} FROM ip_bans"  # noqa: S608 - fixed column list
            " WHERE expires_at IS NULL OR expires_at > ? ORDER BY banned_at, client",
            (now,),
        )
        return [_record(tuple(row)) for row in rows]

    def expiries(self, now: float) -> list[tuple[str, float | None]]:
        """(client, expires_at) of the bans in force: the lean query for loading many bans."""
        # Plain tuples: several times faster than sqlite3.Row.
        return self.db.query_tuples(
            "SELECT client, expires_at FROM ip_bans WHERE expires_at IS NULL OR expires_at > ?",
            (now,),
        )

    def get(self, client: str) -> BanRecord | None:
        """The stored ban of a client (active or expired), if any."""
        row = self.db.query_one(
            f"SELECT {_BAN_COLUMNS} FROM ip_bans WHERE client = ?",  # noqa: S608 - fixed columns
            (client,),
        )
        return None if row is None else _record(tuple(row))

    # Failure counters

    def failures(self, since: float) -> dict[str, list[float]]:
        """Failure times after `since`, by client, oldest first."""
        found: defaultdict[str, list[float]] = defaultdict(list)
        rows = self.db.query(
            "SELECT client, failed_at FROM ip_ban_failures WHERE failed_at > ?"
            " ORDER BY client, failed_at",
            (since,),
        )
        for client, failed_at in rows:
            found[client].append(failed_at)
        return dict(found)

    # Changes, for processes that keep bans in memory

    def last_change(self) -> int:
        """The newest change number (0 when nothing ever changed)."""
        row = self.db.query_one("SELECT coalesce(max(seq), 0) FROM ip_ban_changes")
        return int(row[0]) if row is not None else 0

    def changes_since(self, seq: int) -> tuple[list[str], int, bool]:
        """Clients changed after `seq`, the newest change number, and whether rows are missing."""
        rows = self.db.query(
            "SELECT seq, client FROM ip_ban_changes WHERE seq > ? ORDER BY seq", (seq,)
        )
        if not rows:
            return [], seq, False
        complete = rows[0][0] == seq + 1
        clients = list(dict.fromkeys(row[1] for row in rows))
        return clients, int(rows[-1][0]), not complete

    # One-time imports

    def imported(self, source: str) -> bool:
        """Whether `source` (such as ip_bans.yaml) was imported before."""
        return (
            self.db.query_one("SELECT 1 FROM ip_ban_imports WHERE source = ?", (source,))
            is not None
        )


# Writes: each runs inside a transaction of the writer thread.


def _changed(conn: sqlite3.Connection, client: str) -> None:
    conn.execute("INSERT INTO ip_ban_changes (client) VALUES (?)", (client,))


def _insert(conn: sqlite3.Connection, record: BanRecord) -> None:
    conn.execute(
        f"INSERT OR REPLACE INTO ip_bans ({_BAN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",  # noqa: S608 - fixed columns
        (
            record.client,
            record.banned_at,
            record.expires_at,
            record.offences,
            record.source,
            record.reason,
        ),
    )


def get_ban(conn: sqlite3.Connection, client: str) -> BanRecord | None:
    """The stored ban of a client, read inside a write."""
    row = conn.execute(
        f"SELECT {_BAN_COLUMNS} FROM ip_bans WHERE client = ?",  # noqa: S608 - fixed columns
        (client,),
    ).fetchone()
    return None if row is None else _record(tuple(row))


def put_ban(conn: sqlite3.Connection, record: BanRecord) -> None:
    """Store a ban, replacing the client's previous one, and clear its failure counter."""
    _insert(conn, record)
    conn.execute("DELETE FROM ip_ban_failures WHERE client = ?", (record.client,))
    _changed(conn, record.client)


def put_bans(conn: sqlite3.Connection, records: Iterable[BanRecord]) -> int:
    """Store many bans (an import); returns how many."""
    count = 0
    for record in records:
        _insert(conn, record)
        count += 1
    if count:
        # One marker that no single client matches: followers reload everything.
        _changed(conn, "*")
    return count


def delete_ban(conn: sqlite3.Connection, client: str) -> bool:
    """Lift a ban and forget the client's offences and failures; False if it had none."""
    deleted = conn.execute("DELETE FROM ip_bans WHERE client = ?", (client,)).rowcount
    conn.execute("DELETE FROM ip_ban_failures WHERE client = ?", (client,))
    if deleted:
        _changed(conn, client)
    return bool(deleted)


def prune_bans(conn: sqlite3.Connection, now: float, remember: float, window: float) -> None:
    """Forget bans that ended more than `remember` seconds ago, failures that left the window,
    and old change-log rows."""
    conn.execute(
        "DELETE FROM ip_bans WHERE expires_at IS NOT NULL AND expires_at < ?",
        (now - remember,),
    )
    conn.execute(
        "DELETE FROM ip_ban_changes WHERE seq <= (SELECT max(seq) FROM ip_ban_changes) - ?",
        (MAX_CHANGES_KEPT,),
    )
    conn.execute("DELETE FROM ip_ban_failures WHERE failed_at <= ?", (now - window,))


def add_failure(conn: sqlite3.Connection, client: str, at: float, window: float) -> None:
    """Record one failure and drop the client's failures that left the window."""
    conn.execute(
        "DELETE FROM ip_ban_failures WHERE client = ? AND failed_at <= ?",
        (client, at - window),
    )
    conn.execute("INSERT INTO ip_ban_failures (client, failed_at) VALUES (?, ?)", (client, at))


def mark_imported(conn: sqlite3.Connection, source: str, count: int) -> None:
    """Remember that `source` was imported, so that it is never imported again."""
    conn.execute(
        "INSERT OR REPLACE INTO ip_ban_imports (source, imported_at, count) VALUES (?, ?, ?)",
        (source, datetime.now(UTC).isoformat(), count),
    )
