"""The strict `since` parser and the username filter of audit queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from hearth.exceptions import BadRequest
from hearth.storage.audit import AuditLog
from hearth.storage.audit_filters import parse_since
from hearth.storage.db import Database

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", NOW - timedelta(seconds=90)),
        ("30m", NOW - timedelta(minutes=30)),
        ("12h", NOW - timedelta(hours=12)),
        (" 7d ", NOW - timedelta(days=7)),
        ("2w", NOW - timedelta(weeks=2)),
        ("0m", NOW),
        ("2026-02-01", datetime(2026, 2, 1, tzinfo=UTC)),
        ("2026-02-01T08:30:00", datetime(2026, 2, 1, 8, 30, tzinfo=UTC)),
        (
            "2026-02-01T08:30:00+01:00",
            datetime(2026, 2, 1, 8, 30, tzinfo=timezone(timedelta(hours=1))),
        ),
        ("2026-02-01T08:30:00Z", datetime(2026, 2, 1, 8, 30, tzinfo=UTC)),
    ],
)
def test_accepted(text: str, expected: datetime) -> None:
    assert parse_since(text, NOW) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "d",
        "7",
        "7 d",
        "7D",
        "-7d",
        "+7d",
        "7.5h",
        "1y",
        "1d2h",
        "12345678d",
        "9999999w",  # fits the pattern, but before year 1
        "0001-01-01T00:00:00+14:00",  # a valid time whose UTC is before year 1
        "9999-12-31T23:59:59-14:00",  # ... or after year 9999
        "yesterday",
        "2026-13-01",
        "2026-02-30",
        "٧d",  # Arabic-Indic seven
        "x" * 65,
    ],
)
def test_rejected_with_one_line(text: str) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_since(text, NOW)
    assert caught.value.message.startswith("Invalid since: ")
    assert "\n" not in caught.value.message


async def test_username_filter(tmp_path: Path) -> None:
    db = Database.open(tmp_path / "h.db")
    log = AuditLog(db)
    log.record("login_failed", username="Alice", ip="203.0.113.9")
    log.record("login", user_id="u1", username="alice")
    log.record("token_created", user_id="u1")
    log.record("login", user_id="u2", username="bob")
    try:
        assert [e.event for e in await log.query(username="alice")] == ["login", "login_failed"]
        assert [e.event for e in await log.query(user_id="u1", username="alice")] == [
            "token_created",
            "login",
            "login_failed",
        ]
        assert [e.event for e in await log.query(user_id="u1")] == ["token_created", "login"]
    finally:
        db.close()
