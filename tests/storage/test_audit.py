"""The audit log records, filters and survives reopening; hostile text is clipped; pruning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from hearth.storage.audit import MAX_TEXT, AuditLog
from hearth.storage.db import Database


async def test_record_and_query_newest_first(tmp_path: Path) -> None:
    db = Database.open(tmp_path / "h.db")
    log = AuditLog(db)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    log.record("login_failed", username="alice", ip="192.0.2.1", at=base)
    log.record("login", user_id="u1", username="alice", ip="192.0.2.1", at=base + timedelta(1))
    log.record("token_created", user_id="u2", details={"name": "x"}, at=base + timedelta(2))
    # Recorded entries wait for their batch; a query commits them first.
    events = [entry.event for entry in await log.query()]
    assert events == ["token_created", "login", "login_failed"]
    assert [e.event for e in await log.query(user_id="u1")] == ["login"]
    assert [e.event for e in await log.query(since=base + timedelta(hours=12))] == [
        "token_created",
        "login",
    ]
    assert (await log.query(event="token_created"))[0].details == {"name": "x"}
    assert len(await log.query(limit=1)) == 1
    db.close()
    reopened = Database.open(tmp_path / "h.db")
    try:
        assert len(await AuditLog(reopened).query()) == 3
    finally:
        reopened.close()


async def test_hostile_text_is_clipped_and_made_printable(tmp_path: Path) -> None:
    db = Database.open(tmp_path / "h.db")
    log = AuditLog(db)
    log.record("login_failed", username="x\x1b[31m" + "a" * 1000, user_agent="evil\r\nline")
    entry = (await log.query())[0]
    db.close()
    assert entry.username is not None
    assert len(entry.username) == MAX_TEXT
    assert "\x1b" not in entry.username
    assert entry.user_agent == "evil??line"
    assert entry.as_dict()["event"] == "login_failed"


async def test_prune_by_age_and_by_size_in_small_batches(tmp_path: Path) -> None:
    db = Database.open(tmp_path / "h.db")
    log = AuditLog(db)
    now = datetime.now(UTC)
    for day in reversed(range(30)):
        log.record("old", at=now - timedelta(days=400 + day))
    for minute in reversed(range(50)):
        log.record("recent", at=now - timedelta(minutes=minute))
    await db.flush()
    try:
        deleted = await log.prune(before=now - timedelta(days=365), max_rows=1000, batch=7)
        assert deleted == 30
        assert {e.event for e in await log.query()} == {"recent"}
        assert await log.prune(before=now - timedelta(days=365), max_rows=20, batch=7) == 30
        kept = await log.query()
        assert len(kept) == 20
        # The newest are kept.
        assert min(e.at for e in kept) >= now - timedelta(minutes=20)
    finally:
        db.close()
