"""`hearth audit log` and `hearth user mfa-reset`."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hearth.auth.manager import AuthManager
from hearth.auth.mfa import codes as mfa_codes
from hearth.auth.mfa.manager import MfaManager
from hearth.cli import main
from hearth.cli.audit import audit
from hearth.storage.audit import AuditLog

from .conftest import PASSWORD, Invoke

NOW = datetime.now(UTC)


@pytest.fixture
def hub(run: Invoke, config_dir: Path) -> Iterator[AuthManager]:
    """A store with alice, some history, and a handle on it (as the running hub would have)."""
    assert run(main, ["user", "add", "alice", "--password-stdin"], PASSWORD).exit_code == 0
    auth = AuthManager.open(config_dir)
    log = AuditLog(auth.db)
    alice = auth.get_user_by_username("alice")
    assert alice is not None
    log.record("login_failed", username="alice", ip="203.0.113.9", at=NOW - timedelta(days=3))
    log.record("login", user_id=alice.id, username="alice", ip="192.0.2.5", at=NOW - timedelta(1))
    log.record(
        "login_failed",
        username="mallory\x1b[2J\u202e",
        ip="198.51.100.7",
        user_agent="curl/8",
        details={"reason": "invalid_auth"},
        at=NOW - timedelta(minutes=5),
    )
    asyncio.run(auth.db.flush())  # recorded entries are bookkeeping, committed in batches
    yield auth
    auth.close()


def enrol(auth: AuthManager, username: str) -> tuple[str, list[str]]:
    user = auth.get_user_by_username(username)
    assert user is not None
    mfa = MfaManager(auth.db)
    setup = asyncio.run(mfa.begin_totp_setup(user))
    code = mfa_codes.code_at(setup.secret, mfa_codes.time_step(time.time()))
    return setup.secret, asyncio.run(mfa.activate_totp(user.id, setup.setup_id, code))


def test_table_is_oldest_first_and_terminal_safe(run: Invoke, hub: AuthManager) -> None:
    result = run(audit, ["log"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["TIME", "(UTC)", "EVENT", "USER", "IP", "DETAILS"]
    body = "\n".join(lines[1:])
    assert body.index("203.0.113.9") < body.index("192.0.2.5") < body.index("198.51.100.7")
    assert "\x1b" not in result.stdout
    assert "\u202e" not in result.stdout
    assert '{"reason":"invalid_auth"}' in result.stdout


def test_json_lines(run: Invoke, hub: AuthManager) -> None:
    result = run(audit, ["log", "--json"])
    assert result.exit_code == 0, result.output
    entries = [json.loads(line) for line in result.stdout.splitlines()]
    assert [e["event"] for e in entries][-3:] == ["login_failed", "login", "login_failed"]
    assert entries[-1]["user_agent"] == "curl/8"
    assert entries[-1]["details"] == {"reason": "invalid_auth"}
    assert set(entries[0]) == {
        "id",
        "at",
        "event",
        "user_id",
        "username",
        "ip",
        "user_agent",
        "details",
    }


def test_filters(run: Invoke, hub: AuthManager) -> None:
    def events(*args: str) -> list[tuple[str, str | None]]:
        result = run(audit, ["log", "--json", *args])
        assert result.exit_code == 0, result.output
        return [(e["event"], e["ip"]) for e in map(json.loads, result.stdout.splitlines())]

    # A user's own events and the failed logins tried under their name.
    assert events("--user", "ALICE", "--event", "login_failed") == [("login_failed", "203.0.113.9")]
    assert ("login", "192.0.2.5") in events("--user", "alice")
    assert ("login_failed", "198.51.100.7") not in events("--user", "alice")
    assert events("--since", "2d", "--event", "login_failed") == [("login_failed", "198.51.100.7")]
    iso = (NOW - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    assert events("--since", iso, "--event", "login_failed") == [("login_failed", "198.51.100.7")]
    assert events("--since", "1h", "--limit", "1") == [("login_failed", "198.51.100.7")]
    assert events("--user", "nobody") == []
    assert len(events("--limit", "2")) == 2


@pytest.mark.parametrize("since", ["yesterday", "7 days", "1y", "-1d", "", "x" * 100, "2025-13-01"])
def test_bad_since_is_a_one_line_usage_error(run: Invoke, hub: AuthManager, since: str) -> None:
    result = run(audit, ["log", "--since", since])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("Error: Invalid --since: ")


def test_limit_is_bounded(run: Invoke, hub: AuthManager) -> None:
    assert run(audit, ["log", "--limit", "0"]).exit_code == 2
    assert run(audit, ["log", "--limit", "10001"]).exit_code == 2


def test_empty_log(run: Invoke, config_dir: Path) -> None:
    result = run(audit, ["log", "--event", "nothing_like_this"])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "No audit entries." in result.stderr
    assert run(audit, ["log", "--json", "--event", "nothing"]).stdout == ""


def test_missing_config_dir(tmp_path: Path) -> None:
    from click.testing import CliRunner

    result = CliRunner().invoke(main, ["audit", "log", "-c", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert "does not exist" in result.stderr


def test_never_shows_secrets(run: Invoke, hub: AuthManager) -> None:
    secret, codes = enrol(hub, "alice")
    created = run(main, ["token", "create", "alice", "--name", "laptop"])
    assert created.exit_code == 0, created.output
    token = created.stdout.strip()
    for args in (["log"], ["log", "--json"]):
        result = run(audit, args)
        assert "mfa_enabled" in result.stdout
        for value in (secret, token, *codes):
            assert value not in result.stdout


# hearth user mfa-reset


def test_mfa_reset(run: Invoke, hub: AuthManager) -> None:
    enrol(hub, "alice")
    result = run(main, ["user", "mfa-reset", "alice"])
    assert result.exit_code == 0, result.output
    assert "Removed MFA for 'alice'" in result.stdout
    alice = hub.get_user_by_username("alice")
    assert alice is not None
    assert MfaManager(hub.db).has_mfa(alice.id) is False
    entry = asyncio.run(AuditLog(hub.db).query(event="mfa_disabled"))[0]
    assert (entry.username, entry.details) == ("alice", {"method": "totp", "by": "cli"})


def test_mfa_reset_without_mfa(run: Invoke, hub: AuthManager) -> None:
    result = run(main, ["user", "mfa-reset", "alice"])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "has no MFA set up" in result.stderr


def test_mfa_reset_unknown_user(run: Invoke, hub: AuthManager) -> None:
    result = run(main, ["user", "mfa-reset", "bob"])
    assert result.exit_code == 1
    assert result.stderr == "Error: No such user; see `hearth user list`.\n"
