"""`hearth user add|list`."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from hearth.auth.manager import AuthManager
from hearth.cli.users import user

from .conftest import PASSWORD, Invoke


def test_first_user_becomes_owner_and_admin(run: Invoke, config_dir: Path) -> None:
    result = run(user, ["add", "Alice", "--name", "Alice A.", "--password-stdin"], PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert result.stdout == "Created user 'alice' (owner, admin).\n"
    assert PASSWORD not in result.output

    second = run(user, ["add", "bob", "--password-stdin"], PASSWORD + "\r\n")
    assert second.exit_code == 0, second.output
    assert second.stdout == "Created user 'bob'.\n"
    third = run(user, ["add", "carol", "--admin", "--password-stdin"], PASSWORD)
    assert third.stdout == "Created user 'carol' (admin).\n"

    auth = AuthManager.open(config_dir)
    try:
        users = {u.username: u for u in auth.list_users()}
        assert users["alice"].name == "Alice A."
        assert (users["alice"].is_owner, users["alice"].is_admin) == (True, True)
        assert (users["bob"].is_owner, users["bob"].is_admin) == (False, False)
        assert (users["carol"].is_owner, users["carol"].is_admin) == (False, True)
    finally:
        auth.close()


def test_password_prompt_asks_twice(run: Invoke) -> None:
    result = run(user, ["add", "alice"], f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output


def test_weak_password_is_one_line_error_without_echo(run: Invoke) -> None:
    result = run(user, ["add", "alice", "--password-stdin"], "Zq9#kX\n")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert "too short" in result.stderr
    assert "Zq9#kX" not in result.output
    assert "Traceback" not in result.output


def test_empty_stdin_password_is_refused(run: Invoke) -> None:
    result = run(user, ["add", "alice", "--password-stdin"], "")
    assert result.exit_code == 1
    assert "No password" in result.stderr


def test_duplicate_and_invalid_usernames(run: Invoke) -> None:
    run(user, ["add", "alice", "--password-stdin"], PASSWORD)
    dup = run(user, ["add", "ALICE", "--password-stdin"], PASSWORD)
    assert dup.exit_code == 1
    assert "alice" in dup.stderr
    bad = run(user, ["add", "no spaces", "--password-stdin"], PASSWORD)
    assert bad.exit_code == 1
    assert "username" in bad.stderr


def test_missing_config_dir(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    result = CliRunner().invoke(user, ["list", "-c", str(missing)])
    assert result.exit_code == 1
    assert f"Configuration directory '{missing}' does not exist" in result.stderr
    assert "hearth init-demo" in result.stderr
    assert not missing.exists()


def test_config_dir_need_not_hold_valid_yaml(run: Invoke, config_dir: Path) -> None:
    (config_dir / "configuration.yaml").write_text("{not: [valid yaml")
    assert run(user, ["list"]).exit_code == 0


def test_broken_database_is_one_line_error(run: Invoke, config_dir: Path) -> None:
    (config_dir / "hearth.db").write_bytes(b"garbage" * 1000)
    result = run(user, ["list"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: hearth.db: not an SQLite database")
    assert result.stderr.count("\n") == 1


def test_list(run: Invoke) -> None:
    empty = run(user, ["list"])
    assert empty.exit_code == 0
    assert empty.stdout == ""
    assert "hearth user add" in empty.stderr
    run(user, ["add", "alice", "--name", "Alice A.", "--password-stdin"], PASSWORD)
    run(user, ["add", "bob", "--password-stdin"], PASSWORD)
    result = run(user, ["list"])
    assert result.exit_code == 0
    header, first, second = result.stdout.splitlines()
    assert header.split() == [
        "USERNAME",
        "NAME",
        "OWNER",
        "ADMIN",
        "ACTIVE",
        "LOCAL",
        "ONLY",
        "CREATED",
    ]
    assert first.split()[:6] == ["alice", "Alice", "A.", "yes", "yes", "yes"]
    assert second.split()[:5] == ["bob", "bob", "no", "no", "yes"]
    assert "UTC" in first
