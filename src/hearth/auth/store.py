"""SQL for users, mapping rows to the plain models (tokens: hearth.auth.tokens.store)."""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from dataclasses import replace
from datetime import datetime
from typing import Final

from hearth.auth.models import User
from hearth.auth.tokens.store import TokenStore
from hearth.exceptions import BadRequest, Conflict

USERNAME_RE: Final = re.compile(r"[a-z0-9_.@-]{1,64}")
MAX_LABEL_LENGTH: Final = 100
MAX_CLIENT_ID_LENGTH: Final = 2048

_USER_COLUMNS: Final = "id, username, name, is_owner, is_admin, is_active, local_only, created_at"
_UPDATABLE: Final = frozenset({"name", "is_admin", "is_active", "local_only"})

# (policy version, minimum length) a password was checked against; see PasswordPolicy.stamp.
PolicyStamp = tuple[int, int]


def normalize_username(username: object) -> str:
    """Strip and casefold; raise BadRequest (without echoing the input) unless the result fits."""
    if isinstance(username, str):
        normalized = username.strip().casefold()
        if USERNAME_RE.fullmatch(normalized):
            return normalized
    raise BadRequest(
        "A username is 1 to 64 characters: lower-case letters, digits, '.', '_', '-' and '@'."
    )


def clean_label(value: object, what: str, max_length: int = MAX_LABEL_LENGTH) -> str:
    """A display name or token name: stripped, 1..max_length characters, no control characters."""
    if not isinstance(value, str):
        raise BadRequest(f"The {what} must be a string.")
    cleaned = value.strip()
    if not 1 <= len(cleaned) <= max_length:
        raise BadRequest(f"The {what} must be 1 to {max_length} characters long.")
    # Control and format characters could rewrite a terminal or hide text in `hearth ... list`.
    if any(unicodedata.category(ch)[0] == "C" for ch in cleaned):
        raise BadRequest(f"The {what} must not contain control characters.")
    return cleaned


def _ts(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _dt(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _user(row: sqlite3.Row) -> User:
    return User(
        id=row["id"],
        username=row["username"],
        name=row["name"],
        is_owner=bool(row["is_owner"]),
        is_admin=bool(row["is_admin"]),
        is_active=bool(row["is_active"]),
        local_only=bool(row["local_only"]),
        created_at=_dt(row["created_at"]),
    )


def conflict(err: sqlite3.IntegrityError, user: str) -> Conflict:
    """Turn a uniqueness violation into a message for people (SQLite names the columns)."""
    text = str(err)
    if "users.username" in text:
        return Conflict(f"A user named '{user}' already exists.")
    if "users.is_owner" in text:
        return Conflict("The hub already has an owner.")
    return Conflict("The change conflicts with existing data.")


class AuthStore(TokenStore):
    """Reads users and refresh tokens on the event loop's connection (indexed lookups).

    Writes are the module's functions of a connection, which the managers combine into one
    transaction of the writer thread (a change and its audit entry commit together).
    """

    def user(self, user_id: str) -> User | None:
        """One user by id."""
        row = self.db.query_one(
            f"SELECT {_USER_COLUMNS} FROM users WHERE id = ?",  # noqa: S608 - constant columns
            (user_id,),
        )
        return None if row is None else _user(row)

    def user_with_hash(self, username: str) -> tuple[User, str | None] | None:
        """A user by normalised username, with the stored password hash."""
        row = self.db.query_one(
            f"SELECT {_USER_COLUMNS}, password_hash FROM users "  # noqa: S608 - constant
            "WHERE username = ?",
            (username,),
        )
        return None if row is None else (_user(row), row["password_hash"])

    def users(self) -> list[User]:
        """Every user, oldest first."""
        rows = self.db.query(
            f"SELECT {_USER_COLUMNS} FROM users ORDER BY created_at, username"  # noqa: S608
        )
        return [_user(row) for row in rows]


def load_users(conn: sqlite3.Connection) -> list[User]:
    """Every user, from any connection (for reloads off the event loop)."""
    rows = conn.execute(f"SELECT {_USER_COLUMNS} FROM users").fetchall()  # noqa: S608
    return [_user(row) for row in rows]


# Writes: each runs inside a transaction of the writer thread.


def insert_user(
    conn: sqlite3.Connection,
    user: User,
    password_hash: str,
    *,
    owner_if_first: bool = False,
    policy: PolicyStamp | None = None,
) -> User:
    """Insert a user; with `owner_if_first`, the first user of the hub becomes its owner (decided
    inside the transaction, so two racing first users make exactly one owner). Conflict if the
    username (or the owner role) is taken. `policy` is the (version, minimum length) the
    password was checked against (`hearth check` reports passwords from an older policy)."""
    if owner_if_first and conn.execute("SELECT 1 FROM users LIMIT 1").fetchone() is None:
        user = replace(user, is_owner=True, is_admin=True)
    version, min_length = policy or (None, None)
    try:
        conn.execute(
            f"INSERT INTO users ({_USER_COLUMNS}, password_hash, "  # noqa: S608 - constant
            "password_policy_version, password_min_length) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                user.id,
                user.username,
                user.name,
                user.is_owner,
                user.is_admin,
                user.is_active,
                user.local_only,
                _ts(user.created_at),
                password_hash,
                version,
                min_length,
            ),
        )
    except sqlite3.IntegrityError as err:
        raise conflict(err, user.username) from None
    return user


def replace_password_hash(conn: sqlite3.Connection, user_id: str, old: str, new: str) -> bool:
    """Swap the hash if it is still `old` (a concurrent password change wins)."""
    cur = conn.execute(
        "UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?",
        (new, user_id, old),
    )
    return cur.rowcount == 1


def set_password_hash(
    conn: sqlite3.Connection,
    user_id: str,
    password_hash: str,
    *,
    policy: PolicyStamp | None = None,
) -> bool:
    """Replace a user's password hash and its policy stamp; False if there is no such user."""
    version, min_length = policy or (None, None)
    cur = conn.execute(
        "UPDATE users SET password_hash = ?, password_policy_version = ?, "
        "password_min_length = ? WHERE id = ?",
        (password_hash, version, min_length, user_id),
    )
    return cur.rowcount == 1


def update_user_row(
    conn: sqlite3.Connection, user_id: str, changes: dict[str, str | bool]
) -> User | None:
    """Set some of name, is_admin, is_active, local_only; the user after it, or None."""
    unknown = set(changes) - _UPDATABLE
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    if changes:
        assignments = ", ".join(f"{column} = ?" for column in changes)
        conn.execute(
            f"UPDATE users SET {assignments} WHERE id = ?",  # noqa: S608 - whitelisted columns
            (*changes.values(), user_id),
        )
    row = conn.execute(
        f"SELECT {_USER_COLUMNS} FROM users WHERE id = ?",  # noqa: S608 - constant columns
        (user_id,),
    ).fetchone()
    return None if row is None else _user(row)
