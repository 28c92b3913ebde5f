"""User accounts: creation rules and password login."""

from __future__ import annotations

import asyncio
from pathlib import Path

import argon2
import pytest

from hearth.auth.manager import AuthManager
from hearth.auth.models import User
from hearth.auth.passwords import PasswordHasher
from hearth.exceptions import BadRequest, Conflict, NotFound

from .conftest import PASSWORD, FakeClock


def stored_hash(auth: AuthManager, user: User) -> str:
    row = auth.db.query_one("SELECT password_hash FROM users WHERE id = ?", (user.id,))
    assert row is not None
    return str(row[0])


async def test_create_user_normalises(auth: AuthManager) -> None:
    user = await auth.create_user("  Alice@Home.example ", PASSWORD)
    assert user.username == "alice@home.example"
    assert user.name == "Alice@Home.example"
    assert not user.is_admin
    assert not user.is_owner
    assert user.is_active
    assert user.created_at is not None
    assert auth.get_user(user.id) == user
    assert auth.get_user_by_username("ALICE@home.example") == user
    assert auth.list_users() == [user]
    assert PASSWORD not in stored_hash(auth, user)


async def test_create_user_async(auth: AuthManager) -> None:
    user = await auth.create_user("bob", PASSWORD, name="Bob B.", is_admin=True, local_only=True)
    assert (user.name, user.is_admin, user.local_only) == ("Bob B.", True, True)
    assert await auth.authenticate("bob", PASSWORD) == user


async def test_owner_is_admin_and_unique(auth: AuthManager) -> None:
    owner = await auth.create_user("owner", PASSWORD, is_owner=True)
    assert owner.is_admin
    with pytest.raises(Conflict, match="owner"):
        await auth.create_user("second", PASSWORD, is_owner=True)
    assert [u.username for u in auth.list_users()] == ["owner"]


@pytest.mark.parametrize(
    "username", ["", "   ", "a" * 65, "with space", "semi;colon", "ünï", "new\nline", "a/b"]
)
async def test_bad_usernames_are_rejected_without_echo(auth: AuthManager, username: str) -> None:
    with pytest.raises(BadRequest, match="username") as info:
        await auth.create_user(username, PASSWORD)
    if username.strip():
        assert username not in info.value.message


async def test_duplicate_username_is_a_conflict(auth: AuthManager, alice: User) -> None:
    with pytest.raises(Conflict):
        await auth.create_user(" ALICE ", PASSWORD)


async def test_bad_password_is_rejected_without_echo(auth: AuthManager) -> None:
    with pytest.raises(BadRequest, match="too short") as info:
        await auth.create_user("carol", "Zq9#kX")
    assert "Zq9#kX" not in info.value.message
    assert auth.list_users() == []


async def test_authenticate(auth: AuthManager, alice: User) -> None:
    assert await auth.authenticate("Alice", PASSWORD) == alice
    assert await auth.authenticate("alice", PASSWORD + "!") is None
    assert await auth.authenticate("alice", "") is None


@pytest.mark.parametrize("username", ["nobody", "", "bad name", "x" * 500])
async def test_unknown_user_verifies_a_dummy_hash(
    auth: AuthManager, alice: User, monkeypatch: pytest.MonkeyPatch, username: str
) -> None:
    calls: list[str] = []
    original = auth.hasher.verify_dummy

    async def spy(password: str) -> None:
        calls.append(password)
        await original(password)

    monkeypatch.setattr(auth.hasher, "verify_dummy", spy)
    assert await auth.authenticate(username, PASSWORD) is None
    assert calls == [PASSWORD]


async def test_inactive_user_cannot_log_in(auth: AuthManager, alice: User) -> None:
    await auth.set_user_active(alice.id, False)
    assert await auth.authenticate("alice", PASSWORD) is None
    with pytest.raises(NotFound):
        await auth.set_user_active("missing", False)


async def test_login_rehashes_weaker_hashes(
    auth: AuthManager, alice: User, tmp_path: Path, clock: FakeClock
) -> None:
    weak = stored_hash(auth, alice)
    assert argon2.extract_parameters(weak).memory_cost == 64
    strong_auth = AuthManager.open(tmp_path, hasher=PasswordHasher(), clock=clock)
    try:
        assert await strong_auth.authenticate("alice", "wrong password!") is None
        assert stored_hash(strong_auth, alice) == weak  # no rehash without the right password
        assert await strong_auth.authenticate("alice", PASSWORD) is not None
        upgraded = stored_hash(strong_auth, alice)
        params = argon2.extract_parameters(upgraded)
        assert (params.type, params.memory_cost, params.time_cost) == (argon2.Type.ID, 19456, 2)
        assert await strong_auth.authenticate("alice", PASSWORD) is not None
        assert stored_hash(strong_auth, alice) == upgraded  # current hashes are left alone
    finally:
        strong_auth.close()


async def test_the_first_user_becomes_the_owner_inside_the_transaction(auth: AuthManager) -> None:
    """Racing first users (two `hearth user add` at once): one owner, both created."""
    first, second = await asyncio.gather(
        auth.create_user("first", PASSWORD, owner_if_first=True),
        auth.create_user("second", PASSWORD, owner_if_first=True),
    )
    assert [first.is_owner, second.is_owner].count(True) == 1
    assert {u.username for u in auth.list_users()} == {"first", "second"}
    assert sum(u.is_owner for u in auth.list_users()) == 1
    owner = first if first.is_owner else second
    assert owner.is_admin
