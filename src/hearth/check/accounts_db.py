"""Users, MFA enrolments and tokens, read from hearth.db strictly read-only.

The database is opened with SQLite's `mode=ro` URI: it is never created, migrated or written.
While nobody has it open (no `-wal`/`-shm` beside it) it is opened `immutable` as well, so that
SQLite creates no side files either: side files made by another user (root running
`hearth check`) would lock the hub out of its own database. Password hashes, token hashes, TOTP
secrets and JWT keys are never selected.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from hearth import const
from hearth.check.model import NotChecked

LONG_LIVED: Final = "long_lived_access_token"
BUSY_TIMEOUT: Final = 5.0  # seconds to wait while the hub checkpoints
_MIN_SCHEMA: Final = 4  # users, refresh tokens, audit log, MFA


@dataclass(frozen=True, slots=True)
class Account:
    """What the account checks need to know about one user."""

    id: str
    username: str
    is_owner: bool
    is_admin: bool
    is_active: bool
    created_at: datetime | None
    has_password: bool
    has_mfa: bool
    policy_version: int | None  # None: set before policy versions were recorded
    policy_min_length: int | None
    last_seen: datetime | None  # latest login or token use


@dataclass(frozen=True, slots=True)
class LongLivedToken:
    """A long-lived access token's record (never its secret)."""

    id: str
    user_id: str
    username: str
    name: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class Accounts:
    """A snapshot of the accounts in hearth.db."""

    users: tuple[Account, ...]
    long_lived_tokens: tuple[LongLivedToken, ...]


def _time(value: str | None) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _latest(*moments: datetime | None) -> datetime | None:
    known = [moment for moment in moments if moment is not None]
    return max(known) if known else None


class NoDatabase(NotChecked):
    """There is no hearth.db: the hub has not started yet, so nobody has an account."""


@contextmanager
def open_read_only(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection to the database at `path`; NotChecked if there is none."""
    if not path.is_file():
        raise NoDatabase(f"there is no {path.name} yet (the hub creates it at its first start)")
    in_use = all(os.path.exists(f"{path}{suffix}") for suffix in ("-wal", "-shm"))
    uri = path.resolve().as_uri() + ("?mode=ro" if in_use else "?mode=ro&immutable=1")
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT, isolation_level=None)
    except sqlite3.Error as err:
        raise NotChecked(f"{path.name} cannot be opened read-only: {err}") from None
    with closing(conn):
        conn.row_factory = sqlite3.Row
        try:
            conn.execute("PRAGMA query_only = ON")
            conn.execute("BEGIN")  # one snapshot for every query below
            yield conn
        except sqlite3.Error as err:
            raise NotChecked(f"{path.name} cannot be read: {err}") from None


def read_accounts(config_dir: Path) -> Accounts:
    """Users and long-lived tokens from `config_dir`/hearth.db; NotChecked if unreadable.

    Without a database there are no accounts yet: an empty snapshot.
    """
    try:
        return _read(config_dir)
    except NoDatabase:
        return Accounts((), ())


def _read(config_dir: Path) -> Accounts:
    with open_read_only(config_dir / const.DATABASE_FILE) as conn:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version < _MIN_SCHEMA:
            raise NotChecked(
                f"{const.DATABASE_FILE} has schema version {version}; start the hub once to "
                "upgrade it"
            )
        columns = {row["name"] for row in conn.execute("PRAGMA table_info(users)")}
        has_policy = "password_policy_version" in columns
        policy = (
            "password_policy_version, password_min_length"
            if has_policy
            else "NULL AS password_policy_version, NULL AS password_min_length"
        )
        users = conn.execute(
            "SELECT id, username, is_owner, is_admin, is_active, created_at, "  # noqa: S608
            f"password_hash IS NOT NULL AS has_password, {policy} FROM users "
            "ORDER BY created_at, username"
        ).fetchall()
        enrolled = {row[0] for row in conn.execute("SELECT user_id FROM mfa_totp")}
        token_use = {
            row[0]: _time(row[1])
            for row in conn.execute(
                "SELECT user_id, MAX(COALESCE(last_used_at, created_at)) FROM refresh_tokens "
                "GROUP BY user_id"
            )
        }
        logins = {
            row[0]: _time(row[1])
            for row in conn.execute(
                "SELECT user_id, MAX(at) FROM audit_log WHERE event = 'login' "
                "AND user_id IS NOT NULL GROUP BY user_id"
            )
        }
        tokens = conn.execute(
            "SELECT t.id, t.user_id, u.username, t.client_name, t.created_at, t.expires_at, "
            "t.last_used_at FROM refresh_tokens AS t JOIN users AS u ON u.id = t.user_id "
            "WHERE t.token_type = ? ORDER BY t.created_at, t.id",
            (LONG_LIVED,),
        ).fetchall()
    accounts = tuple(
        Account(
            id=row["id"],
            username=row["username"],
            is_owner=bool(row["is_owner"]),
            is_admin=bool(row["is_admin"]),
            is_active=bool(row["is_active"]),
            created_at=_time(row["created_at"]),
            has_password=bool(row["has_password"]),
            has_mfa=row["id"] in enrolled,
            policy_version=row["password_policy_version"],
            policy_min_length=row["password_min_length"],
            last_seen=_latest(token_use.get(row["id"]), logins.get(row["id"])),
        )
        for row in users
    )
    long_lived = tuple(
        LongLivedToken(
            id=row["id"],
            user_id=row["user_id"],
            username=row["username"],
            name=row["client_name"] or "",
            created_at=_time(row["created_at"]) or datetime.min.replace(tzinfo=UTC),
            expires_at=_time(row["expires_at"]),
            last_used_at=_time(row["last_used_at"]),
        )
        for row in tokens
    )
    return Accounts(accounts, long_lived)
