"""`accounts` and `tokens`: crafted databases, made with the real auth store, read read-only."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from hearth import const
from hearth.auth.manager import AuthManager
from hearth.check.checks import accounts, tokens
from tests.check.support import (
    NOW,
    PASSWORD,
    config_dir,
    context,
    enroll_mfa,
    finding_ids,
    open_auth,
)

OLD = NOW - timedelta(days=const.CHECK_UNUSED_DAYS + 10)

Setup = Callable[[AuthManager, Path], None]


def owner_with_mfa(auth: AuthManager, _db: Path) -> None:
    enroll_mfa(auth, asyncio.run(auth.create_user("owner", PASSWORD, is_owner=True)))


def owner_without_mfa(auth: AuthManager, _db: Path) -> None:
    asyncio.run(auth.create_user("owner", PASSWORD, is_owner=True))


def second_admin_without_mfa(auth: AuthManager, db: Path) -> None:
    owner_with_mfa(auth, db)
    asyncio.run(auth.create_user("bob", PASSWORD, is_admin=True))


def sql(db: Path, statement: str, *params: object) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute(statement, params)
    conn.close()


def stale_admin(auth: AuthManager, db: Path) -> None:
    owner_with_mfa(auth, db)
    enroll_mfa(auth, asyncio.run(auth.create_user("bob", PASSWORD, is_admin=True)))
    sql(db, "UPDATE users SET created_at = ? WHERE username = 'bob'", OLD.isoformat())


def stale_but_inactive_admin(auth: AuthManager, db: Path) -> None:
    stale_admin(auth, db)
    sql(db, "UPDATE users SET is_active = 0 WHERE username = 'bob'")


def recently_used_admin(auth: AuthManager, db: Path) -> None:
    stale_admin(auth, db)
    bob = auth.get_user_by_username("bob")
    assert bob is not None
    asyncio.run(auth.create_refresh_token(bob, client_id="http://app/"))  # a login now


def old_policy(auth: AuthManager, db: Path) -> None:
    owner_with_mfa(auth, db)
    asyncio.run(auth.create_user("carol", PASSWORD))
    sql(db, "UPDATE users SET password_policy_version = 0 WHERE username = 'carol'")


def unknown_policy(auth: AuthManager, db: Path) -> None:
    owner_with_mfa(auth, db)
    asyncio.run(auth.create_user("carol", PASSWORD))
    sql(db, "UPDATE users SET password_policy_version = NULL WHERE username = 'carol'")


def shorter_minimum(auth: AuthManager, db: Path) -> None:
    owner_with_mfa(auth, db)
    asyncio.run(auth.create_user("carol", PASSWORD))
    sql(db, "UPDATE users SET password_min_length = 8 WHERE username = 'carol'")


CONFIG_ALL = "auth:\n  mfa_required: all\n"
CONFIG_DEFAULT = "homeassistant:\n  name: Home\n"
CONFIG_NONE = "auth:\n  mfa_required: none\n"

ACCOUNT_CASES: list[tuple[str, str, Setup | None, list[str]]] = [
    ("no database yet", CONFIG_DEFAULT, None, ["accounts.mfa_not_required", "accounts.no_users"]),
    ("no database, MFA required", CONFIG_ALL, None, ["accounts.no_users"]),
    ("owner with MFA, MFA for all", CONFIG_ALL, owner_with_mfa, []),
    ("owner with MFA, default policy", CONFIG_DEFAULT, owner_with_mfa, []),
    ("owner with MFA, policy none", CONFIG_NONE, owner_with_mfa, ["accounts.mfa_not_required"]),
    (
        "owner without MFA",
        CONFIG_DEFAULT,
        owner_without_mfa,
        ["accounts.admin_without_mfa", "accounts.mfa_not_required"],
    ),
    (
        "second admin without MFA",
        CONFIG_ALL,
        second_admin_without_mfa,
        ["accounts.admin_without_mfa"],
    ),
    ("admin unused for 100 days", CONFIG_ALL, stale_admin, ["accounts.admin_unused"]),
    ("inactive admin", CONFIG_ALL, stale_but_inactive_admin, []),
    ("admin used today", CONFIG_ALL, recently_used_admin, []),
    ("password under policy 0", CONFIG_ALL, old_policy, ["accounts.password_policy"]),
    (
        "password before policies were recorded",
        CONFIG_ALL,
        unknown_policy,
        ["accounts.password_policy"],
    ),
    ("password under a shorter minimum", CONFIG_ALL, shorter_minimum, ["accounts.password_policy"]),
]


@pytest.mark.parametrize(
    ("config", "setup", "expected"),
    [c[1:] for c in ACCOUNT_CASES],
    ids=[c[0] for c in ACCOUNT_CASES],
)
def test_accounts(tmp_path: Path, config: str, setup: Setup | None, expected: list[str]) -> None:
    path = config_dir(tmp_path, config)
    if setup is not None:
        auth = open_auth(path)
        try:
            setup(auth, path / "hearth.db")
        finally:
            auth.close()
    assert finding_ids(accounts.CHECK, context(path)) == sorted(expected)


def long_lived(days: int, *, age: int = 0, used: int | None = None, count: int = 1) -> Setup:
    """Tokens for the owner created `age` days before NOW, last used `used` days before NOW."""

    def setup(auth: AuthManager, db: Path) -> None:
        owner = asyncio.run(auth.create_user("owner", PASSWORD, is_owner=True))
        for index in range(count):
            token, _access = asyncio.run(auth.create_long_lived_token(owner, f"t{index}", days))
            created = NOW - timedelta(days=age)
            last = None if used is None else (NOW - timedelta(days=used)).isoformat()
            sql(
                db,
                "UPDATE refresh_tokens SET created_at = ?, expires_at = ?, last_used_at = ? "
                "WHERE id = ?",
                created.isoformat(),
                (created + timedelta(days=days)).isoformat(),
                last,
                token.id,
            )

    return setup


TOKEN_CASES: list[tuple[str, Setup, list[str]]] = [
    ("fresh, a year", long_lived(365), []),
    ("used last week", long_lived(365, age=200, used=7), []),
    ("never used in 100 days", long_lived(365, age=100), ["tokens.unused"]),
    ("unused for 100 days", long_lived(365, age=300, used=100), ["tokens.unused"]),
    ("valid for ten years", long_lived(3650), ["tokens.long_expiry"]),
    ("expired long ago", long_lived(30, age=400, used=399), []),
    ("eleven tokens", long_lived(30, count=11), ["tokens.too_many"]),
    ("ten tokens", long_lived(30, count=10), []),
]


@pytest.mark.parametrize(
    ("setup", "expected"), [c[1:] for c in TOKEN_CASES], ids=[c[0] for c in TOKEN_CASES]
)
def test_tokens(tmp_path: Path, setup: Setup, expected: list[str]) -> None:
    path = config_dir(tmp_path, CONFIG_ALL)
    auth = open_auth(path)
    try:
        setup(auth, path / "hearth.db")
    finally:
        auth.close()
    assert finding_ids(tokens.CHECK, context(path)) == expected


def test_the_database_is_read_without_writing_or_creating_anything(tmp_path: Path) -> None:
    path = config_dir(tmp_path, CONFIG_DEFAULT)
    finding_ids(accounts.CHECK, context(path))
    assert sorted(p.name for p in path.iterdir()) == ["configuration.yaml"]  # not created
    auth = open_auth(path)
    owner_without_mfa(auth, path / "hearth.db")
    auth.close()
    before = {p.name: p.read_bytes() for p in path.iterdir()}
    finding_ids(accounts.CHECK, context(path))
    finding_ids(tokens.CHECK, context(path))
    assert {p.name: p.read_bytes() for p in path.iterdir()} == before  # no -wal, no -shm


def test_a_running_hubs_database_is_read_with_its_latest_commits(tmp_path: Path) -> None:
    path = config_dir(tmp_path, CONFIG_ALL)
    auth = open_auth(path)  # stays open, as a running hub's connection does
    try:
        owner_with_mfa(auth, path / "hearth.db")
        assert (path / "hearth.db-wal").exists()
        assert finding_ids(accounts.CHECK, context(path)) == []
        asyncio.run(auth.create_user("dave", PASSWORD, is_admin=True))
        assert finding_ids(accounts.CHECK, context(path)) == ["accounts.admin_without_mfa"]
    finally:
        auth.close()


def test_a_database_from_before_the_policy_columns(tmp_path: Path) -> None:
    path = config_dir(tmp_path, CONFIG_ALL)
    auth = open_auth(path)
    owner_with_mfa(auth, path / "hearth.db")
    auth.close()
    with sqlite3.connect(path / "hearth.db") as conn:
        conn.execute("ALTER TABLE users DROP COLUMN password_policy_version")
        conn.execute("ALTER TABLE users DROP COLUMN password_min_length")
        conn.execute("PRAGMA user_version = 5")
    conn.close()
    assert finding_ids(accounts.CHECK, context(path)) == ["accounts.password_policy"]
