"""Acknowledged findings: rules the owner accepted, with a reason (the Security Center).

An acknowledged finding stays in the report, marked, and no longer lowers the grade. Critical
rules (the hub runs as root, remote access without TLS ...) cannot be acknowledged: they are
fixed, not accepted. Read by `hearth check` (read-only, like the accounts) and by the hub.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from hearth import const
from hearth.check.accounts_db import open_read_only
from hearth.check.model import NotChecked

MAX_REASON: Final = 500


@dataclass(frozen=True, slots=True)
class Ack:
    """Why and by whom a rule's findings were accepted."""

    rule_id: str
    reason: str
    by: str
    at: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, as a finding's `acknowledged`."""
        return {"reason": self.reason, "by": self.by, "at": self.at}


def read(conn: sqlite3.Connection) -> dict[str, Ack]:
    """Every acknowledgement by rule id (none before the table exists)."""
    try:
        rows = conn.execute("SELECT rule_id, reason, by_user, at FROM check_acks").fetchall()
    except sqlite3.OperationalError:
        return {}
    return {row[0]: Ack(row[0], row[1], row[2], row[3]) for row in rows}


def read_from(config_dir: Path) -> dict[str, Ack]:
    """The acknowledgements in the configuration's hearth.db, opened read-only; none without it."""
    try:
        with open_read_only(config_dir / const.DATABASE_FILE) as conn:
            return read(conn)
    except (NotChecked, sqlite3.Error, OSError):
        return {}


def put(conn: sqlite3.Connection, ack: Ack) -> None:
    """Store (or replace) an acknowledgement, inside a write."""
    conn.execute(
        "INSERT OR REPLACE INTO check_acks (rule_id, reason, by_user, at) VALUES (?, ?, ?, ?)",
        (ack.rule_id, ack.reason, ack.by, ack.at),
    )


def delete(conn: sqlite3.Connection, rule_id: str) -> bool:
    """Remove an acknowledgement, inside a write; False if there was none."""
    return conn.execute("DELETE FROM check_acks WHERE rule_id = ?", (rule_id,)).rowcount == 1
