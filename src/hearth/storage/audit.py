"""The audit log: what happened, to whom, from where. Append-only, in the SQLite store."""

from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache, partial
from typing import Any, Final

import orjson

from hearth.isotime import utc_iso
from hearth.storage.db import Database

_LOGGER = logging.getLogger(__name__)

MAX_TEXT: Final = 200  # usernames and user agents are attacker-chosen: keep them short
MAX_QUERY_LIMIT: Final = 10_000
PRUNE_BATCH: Final = 500  # entries deleted per transaction when pruning


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One recorded event."""

    id: int
    at: datetime
    event: str
    user_id: str | None
    username: str | None
    ip: str | None
    user_agent: str | None
    details: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "event": self.event,
            "user_id": self.user_id,
            "username": self.username,
            "ip": self.ip,
            "user_agent": self.user_agent,
            "details": self.details,
        }


def _clip(text: str | None) -> str | None:
    if text is None:
        return None
    text = text[:MAX_TEXT]
    if text.isprintable():  # nearly always: no per-character pass
        return text
    return "".join(ch if ch.isprintable() else "?" for ch in text)


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One entry ready to insert (clipped, details serialised)."""

    at: str
    event: str
    user_id: str | None
    username: str | None
    ip: str | None
    user_agent: str | None
    details: str


def audit_row(
    event: str,
    *,
    user_id: str | None = None,
    username: str | None = None,
    ip: str | None = None,
    user_agent: str | None = None,
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditRow:
    """An entry for `insert_audit`. Never pass secrets in `details`."""
    return AuditRow(
        at=utc_iso(time.time()) if at is None else at.isoformat(),
        event=event,
        user_id=user_id,
        username=_clip(username),
        ip=ip,
        user_agent=_clip(user_agent),
        details=orjson.dumps(details or {}).decode(),
    )


_AUDIT_COLUMNS: Final = ("at", "event", "user_id", "username", "ip", "user_agent", "details")


@lru_cache(maxsize=32)
def _insert_sql(columns: tuple[str, ...]) -> str:
    marks = ", ".join("?" * len(columns))
    return f"INSERT INTO audit_log ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608


def insert_audit(conn: sqlite3.Connection, row: AuditRow) -> None:
    """Insert an entry inside a write, so that it commits (or not) with the change it describes.

    Columns without a value are left out (they default to NULL): sqlite3 binds a None through
    its adapter lookup, which costs two raised and caught AttributeErrors per value, and
    failed logins, whose entries lack a user, are the path an attacker can make hot.
    """
    values = (row.at, row.event, row.user_id, row.username, row.ip, row.user_agent, row.details)
    if None not in values:
        conn.execute(_insert_sql(_AUDIT_COLUMNS), values)
        return
    present = tuple(i for i, value in enumerate(values) if value is not None)
    conn.execute(
        _insert_sql(tuple(_AUDIT_COLUMNS[i] for i in present)), tuple(values[i] for i in present)
    )


def _prune_batch(conn: sqlite3.Connection, cutoff: str, keep_after_id: int, batch: int) -> int:
    """Delete up to `batch` entries older than `cutoff` or with an id up to `keep_after_id`."""
    deleted = conn.execute(
        "DELETE FROM audit_log WHERE id IN"
        " (SELECT id FROM audit_log WHERE at < ? ORDER BY at LIMIT ?)",
        (cutoff, batch),
    ).rowcount
    if deleted < batch:
        deleted += conn.execute(
            "DELETE FROM audit_log WHERE id IN"
            " (SELECT id FROM audit_log WHERE id <= ? ORDER BY id LIMIT ?)",
            (keep_after_id, batch - deleted),
        ).rowcount
    return deleted


class AuditLog:
    """Record and query security events. Never pass secrets in `details`."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def record(
        self,
        event: str,
        *,
        user_id: str | None = None,
        username: str | None = None,
        ip: str | None = None,
        user_agent: str | None = None,
        details: dict[str, Any] | None = None,
        at: datetime | None = None,
    ) -> None:
        """Append one event with the next batch (bookkeeping: never fails, never waits).

        Events that describe an acknowledged change are inserted with the change instead
        (`insert_audit` inside the write), so that both are durable together.
        """
        row = audit_row(
            event,
            user_id=user_id,
            username=username,
            ip=ip,
            user_agent=user_agent,
            details=details,
            at=at,
        )
        self._db.submit(partial(insert_audit, row=row))

    async def prune(self, *, before: datetime, max_rows: int, batch: int = PRUNE_BATCH) -> int:
        """Delete entries older than `before` and beyond the newest `max_rows`, in small batches
        (one short transaction each, off the event loop); returns how many were deleted."""
        cutoff = before.astimezone(UTC).isoformat()
        total = 0
        while True:
            top = self._db.query_one("SELECT coalesce(max(id), 0) FROM audit_log")
            keep_after = (0 if top is None else int(top[0])) - max_rows
            deleted = await self._db.write(
                partial(_prune_batch, cutoff=cutoff, keep_after_id=keep_after, batch=batch)
            )
            total += deleted
            if deleted < batch:
                break
        if total:
            _LOGGER.info("Pruned %d old audit log entries", total)
        return total

    async def query(
        self,
        *,
        since: datetime | None = None,
        user_id: str | None = None,
        event: str | None = None,
        limit: int = 1000,
        username: str | None = None,
        ip: str | None = None,
    ) -> list[AuditEntry]:
        """Entries, newest first, filtered by time, user, event type and address.

        With both `user_id` and `username`, an entry matches either: a user's own events and
        failed logins under their name (which carry no user id). Entries still waiting for their
        batch are committed first, so a query sees every event recorded before it.
        """
        await self._db.flush()
        clauses: list[str] = []
        params: list[Any] = []
        if since is not None:
            clauses.append("at >= ?")
            params.append(since.astimezone(UTC).isoformat())
        if user_id is not None and username is not None:
            clauses.append("(user_id = ? OR username = ? COLLATE NOCASE)")
            params.extend((user_id, username))
        elif user_id is not None:
            clauses.append("user_id = ?")
            params.append(user_id)
        elif username is not None:
            clauses.append("username = ? COLLATE NOCASE")
            params.append(username)
        if event is not None:
            clauses.append("event = ?")
            params.append(event)
        if ip is not None:
            clauses.append("ip = ?")
            params.append(ip)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        params.append(max(1, min(limit, MAX_QUERY_LIMIT)))
        sql = (
            "SELECT id, at, event, user_id, username, ip, user_agent, details FROM audit_log"  # noqa: S608 - clauses are fixed strings
            f"{where} ORDER BY id DESC LIMIT ?"
        )
        # Up to MAX_QUERY_LIMIT entries, decoded off the event loop.
        return await self._db.snapshot(partial(_entries, sql=sql, params=tuple(params)))


def _entries(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> list[AuditEntry]:
    return [
        AuditEntry(
            id=row["id"],
            at=datetime.fromisoformat(row["at"]),
            event=row["event"],
            user_id=row["user_id"],
            username=row["username"],
            ip=row["ip"],
            user_agent=row["user_agent"],
            details=orjson.loads(row["details"]),
        )
        for row in conn.execute(sql, params)
    ]
