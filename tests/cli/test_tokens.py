"""`hearth token create|list|revoke`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hearth.auth.manager import AuthManager
from hearth.cli.tokens import token
from hearth.cli.users import user
from tests.conftest import reload_soon

from .conftest import PASSWORD, Invoke


@pytest.fixture
def alice(run: Invoke) -> None:
    assert run(user, ["add", "alice", "--password-stdin"], PASSWORD).exit_code == 0


def create(run: Invoke, *args: str) -> str:
    result = run(token, ["create", "alice", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.usefixtures("alice")
def test_create_prints_only_the_token(run: Invoke, config_dir: Path) -> None:
    result = run(token, ["create", "alice", "--name", "dashboard", "--days", "30"])
    assert result.exit_code == 0, result.output
    access = result.stdout.removesuffix("\n")
    assert result.stdout == access + "\n"
    assert "\n" not in access
    assert " " not in access
    assert "dashboard" in result.stderr
    assert access not in result.stderr
    auth = AuthManager.open(config_dir)
    try:
        found = auth.validate_access_token(access)
        assert found is not None
        assert found[0].username == "alice"
        assert found[1].client_name == "dashboard"
    finally:
        auth.close()


@pytest.mark.usefixtures("alice")
@pytest.mark.parametrize("days", ["0", "3651", "-5", "soon"])
def test_create_days_out_of_range_is_a_usage_error(run: Invoke, days: str) -> None:
    result = run(token, ["create", "alice", "--name", "x", "--days", days])
    assert result.exit_code == 2
    assert result.stdout == ""


@pytest.mark.usefixtures("alice")
def test_create_errors(run: Invoke) -> None:
    create(run, "--name", "dup")
    dup = run(token, ["create", "alice", "--name", "dup"])
    assert dup.exit_code == 1
    assert dup.stdout == ""
    assert "already has a long-lived token" in dup.stderr
    nobody = run(token, ["create", "nobody", "--name", "x"])
    assert nobody.exit_code == 1
    assert "No such user" in nobody.stderr
    assert run(token, ["create", "alice"]).exit_code == 2  # --name is required


@pytest.mark.usefixtures("alice")
def test_list_shows_no_secrets(run: Invoke, config_dir: Path) -> None:
    assert run(token, ["list"]).stderr == "No tokens.\n"
    access = create(run, "--name", "dashboard").strip()
    run(user, ["add", "bob", "--password-stdin"], PASSWORD)
    run(token, ["create", "bob", "--name", "bobs"])
    result = run(token, ["list"])
    assert result.exit_code == 0
    header, *rows = result.stdout.splitlines()
    assert header.split()[:5] == ["ID", "USER", "NAME", "TYPE", "CREATED"]
    assert len(rows) == 2
    assert rows[0].split()[1:4] == ["alice", "dashboard", "long_lived_access_token"]
    assert access not in result.output
    auth = AuthManager.open(config_dir)
    try:
        for rt in auth.list_refresh_tokens():
            assert rt.jwt_key not in result.output
    finally:
        auth.close()
    only_bob = run(token, ["list", "bob"])
    assert [line.split()[1] for line in only_bob.stdout.splitlines()[1:]] == ["bob"]
    assert run(token, ["list", "nobody"]).exit_code == 1


@pytest.mark.usefixtures("alice")
def test_revoke(run: Invoke, config_dir: Path) -> None:
    access = create(run, "--name", "dashboard").strip()
    token_id = run(token, ["list"]).stdout.splitlines()[1].split()[0]
    server = AuthManager.open(config_dir)
    try:
        assert server.validate_access_token(access) is not None
        result = run(token, ["revoke", token_id])
        assert result.exit_code == 0, result.output
        assert token_id in result.stdout
        assert asyncio.run(reload_soon(server))
        assert server.validate_access_token(access) is None
    finally:
        server.close()
    again = run(token, ["revoke", token_id])
    assert again.exit_code == 1
    assert "No token with that id" in again.stderr
    pasted = run(token, ["revoke", access])
    assert pasted.exit_code == 1
    assert access not in pasted.output
