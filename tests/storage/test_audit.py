"""The audit log records, filters and survives reopening; hostile text is clipped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from hearth.storage.audit import MAX_TEXT, AuditLog
from hearth.storage.db import Database


def test_record_and_query_newest_first(tmp_path: Path) -> None:
    db = Database.open(tmp_path / "h.db")
    log = AuditLog(db)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    log.record("login_failed", username="alice", ip="192.0.2.1", at=base)
    log.record("login", user_id="u1", username="alice", ip="192.0.2.1", at=base + timedelta(1))
    log.record("token_created", user_id="u2", details={"name": "x"}, at=base + timedelta(2))
    events = [entry.event for entry in log.query()]
    assert events == ["token_created", "login", "login_failed"]
    assert [e.event for e in log.query(user_id="u1")] == ["login"]
    assert [e.event for e in log.query(since=base + timedelta(hours=12))] == [
        "token_created",
        "login",
    ]
    assert log.query(event="token_created")[0].details == {"name": "x"}
    assert len(log.query(limit=1)) == 1
    db.close()
    reopened = AuditLog(Database.open(tmp_path / "h.db"))
    assert len(reopened.query()) == 3


def test_hostile_text_is_clipped_and_made_printable(tmp_path: Path) -> None:
    log = AuditLog(Database.open(tmp_path / "h.db"))
    log.record("login_failed", username="x\x1b[31m" + "a" * 1000, user_agent="evil\r\nline")
    entry = log.query()[0]
    assert entry.username is not None
    assert len(entry.username) == MAX_TEXT
    assert "\x1b" not in entry.username
    assert entry.user_agent == "evil??line"
    assert entry.as_dict()["event"] == "login_failed"
