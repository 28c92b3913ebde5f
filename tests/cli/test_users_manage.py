"""`hearth user passwd|set` and the password policy of `auth:` in the CLI."""

from __future__ import annotations

import asyncio
from pathlib import Path

from hearth.auth.manager import AuthManager
from hearth.cli.users import user

from .conftest import PASSWORD, Invoke

NEW_PASSWORD = "vermilion otter juggles quietly"


def manager(config_dir: Path) -> AuthManager:
    return AuthManager.open(config_dir)


def test_passwd_revokes_tokens(run: Invoke, config_dir: Path) -> None:
    run(user, ["add", "alice", "--password-stdin"], PASSWORD)
    auth = manager(config_dir)
    try:
        alice = auth.get_user_by_username("alice")
        assert alice is not None
        asyncio.run(auth.create_long_lived_token(alice, "script"))
    finally:
        auth.close()
    result = run(user, ["passwd", "ALICE", "--password-stdin"], NEW_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert result.stdout == "Changed the password of 'alice'; revoked 1 token(s).\n"
    assert NEW_PASSWORD not in result.output
    auth = manager(config_dir)
    try:
        assert auth.hasher.verify_sync(
            auth.db.query_one("SELECT password_hash FROM users")[0], NEW_PASSWORD
        )
        assert auth.list_refresh_tokens() == []
        changed = asyncio.run(auth.audit.query(event="password_changed"))
        assert [e.event for e in changed] == ["password_changed"]
    finally:
        auth.close()


def test_passwd_applies_the_policy(run: Invoke) -> None:
    run(user, ["add", "alice", "--password-stdin"], PASSWORD)
    weak = run(user, ["passwd", "alice", "--password-stdin"], "alice-in-wonderland-1\n")
    assert weak.exit_code == 1
    assert "contains the username" in weak.stderr
    assert "wonderland" not in weak.output
    missing = run(user, ["passwd", "bob", "--password-stdin"], NEW_PASSWORD)
    assert missing.exit_code == 1
    assert "No such user" in missing.stderr


def test_policy_comes_from_configuration(run: Invoke, config_dir: Path) -> None:
    (config_dir / "configuration.yaml").write_text(
        "homeassistant:\n  name: Maple Cottage\nauth:\n  password_min_length: 32\n"
    )
    short = run(user, ["add", "alice", "--password-stdin"], PASSWORD)  # 28 characters
    assert short.exit_code == 1
    assert "at least 32" in short.stderr
    hub = run(user, ["add", "alice", "--password-stdin"], "maple cottage is where my heart is\n")
    assert "hub name" in hub.stderr
    ok = run(user, ["add", "alice", "--password-stdin"], NEW_PASSWORD + " and a kettle")
    assert ok.exit_code == 0, ok.output


def test_invalid_configuration_stops_password_commands(run: Invoke, config_dir: Path) -> None:
    (config_dir / "configuration.yaml").write_text("auth:\n  password_min_length: 4\n")
    result = run(user, ["add", "alice", "--password-stdin"], PASSWORD)
    assert result.exit_code == 1
    assert "password_min_length" in result.stderr
    assert run(user, ["list"]).exit_code == 0  # listing needs no configuration


def test_add_local_only_and_set(run: Invoke, config_dir: Path) -> None:
    run(user, ["add", "owner", "--password-stdin"], PASSWORD)
    run(user, ["add", "kid", "--local-only", "--password-stdin"], PASSWORD)
    listed = run(user, ["list"]).stdout.splitlines()
    assert listed[2].split()[5] == "yes"  # LOCAL ONLY
    result = run(user, ["set", "kid", "--admin", "--not-local-only", "--name", "Kid K."])
    assert result.exit_code == 0, result.output
    assert result.stdout == "Updated 'kid': admin, active, not local only.\n"
    result = run(user, ["set", "kid", "--inactive"])
    assert result.stdout == "Updated 'kid': admin, inactive, not local only.\n"
    auth = manager(config_dir)
    try:
        kid = auth.get_user_by_username("kid")
        assert kid is not None
        assert (kid.name, kid.is_admin, kid.is_active, kid.local_only) == (
            "Kid K.",
            True,
            False,
            False,
        )
    finally:
        auth.close()


def test_set_refuses_to_demote_the_owner(run: Invoke) -> None:
    run(user, ["add", "owner", "--password-stdin"], PASSWORD)
    for flag in ("--no-admin", "--inactive"):
        result = run(user, ["set", "owner", flag])
        assert result.exit_code == 1
        assert "owner" in result.stderr


def test_set_needs_a_change(run: Invoke) -> None:
    run(user, ["add", "owner", "--password-stdin"], PASSWORD)
    assert run(user, ["set", "owner"]).exit_code == 2
