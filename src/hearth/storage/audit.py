"""The audit log: what happened, to whom, from where. Append-only, in the SQLite store."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import orjson

from hearth.storage.db import Database

_LOGGER = logging.getLogger(__name__)

MAX_TEXT: Final = 200  # usernames and user agents are attacker-chosen: keep them short
MAX_QUERY_LIMIT: Final = 10_000


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
    cleaned = "".join(ch if ch.isprintable() else "?" for ch in text[:MAX_TEXT])
    return cleaned


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
        """Append one event in its own transaction; a storage failure is logged, not raised."""
        when = (at or datetime.now(UTC)).isoformat()
        payload = orjson.dumps(details or {}).decode()
        try:
            with self._db.transaction() as conn:
                conn.execute(
                    "INSERT INTO audit_log (at, event, user_id, username, ip, user_agent, details)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (when, event, user_id, _clip(username), ip, _clip(user_agent), payload),
                )
        except Exception:
            _LOGGER.exception("Could not write the audit log entry %r", event)

    def query(
        self,
        *,
        since: datetime | None = None,
        user_id: str | None = None,
        event: str | None = None,
        limit: int = 1000,
        username: str | None = None,
    ) -> list[AuditEntry]:
        """Entries, newest first, filtered by time, user and event type.

        With both `user_id` and `username`, an entry matches either: a user's own events and
        failed logins under their name (which carry no user id).
        """
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
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        params.append(max(1, min(limit, MAX_QUERY_LIMIT)))
        rows = self._db.query(
            "SELECT id, at, event, user_id, username, ip, user_agent, details FROM audit_log"  # noqa: S608 - clauses are fixed strings
            f"{where} ORDER BY id DESC LIMIT ?",
            tuple(params),
        )
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
            for row in rows
        ]
