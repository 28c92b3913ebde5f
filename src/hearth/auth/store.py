"""SQL for users and refresh tokens, mapping rows to the plain models."""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from datetime import datetime, timedelta
from typing import Final

from hearth.auth.models import RefreshToken, TokenType, User
from hearth.exceptions import BadRequest, Conflict
from hearth.storage import Database

USERNAME_RE: Final = re.compile(r"[a-z0-9_.@-]{1,64}")
MAX_LABEL_LENGTH: Final = 100
MAX_CLIENT_ID_LENGTH: Final = 2048

_USER_COLUMNS: Final = "id, username, name, is_owner, is_admin, is_active, local_only, created_at"
_REFRESH_COLUMNS: Final = (
    "id, user_id, token_type, created_at, access_token_expiration, client_id, client_name, "
    "expires_at, last_used_at, last_used_ip, jwt_key"
)


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


def _token(row: sqlite3.Row) -> RefreshToken:
    return RefreshToken(
        id=row["id"],
        user_id=row["user_id"],
        token_type=TokenType(row["token_type"]),
        created_at=datetime.fromisoformat(row["created_at"]),
        access_token_expiration=timedelta(seconds=row["access_token_expiration"]),
        client_id=row["client_id"],
        client_name=row["client_name"],
        expires_at=_dt(row["expires_at"]),
        last_used_at=_dt(row["last_used_at"]),
        last_used_ip=row["last_used_ip"],
        jwt_key=row["jwt_key"],
    )


def _conflict(err: sqlite3.IntegrityError, user: str) -> Conflict:
    """Turn a uniqueness violation into a message for people (SQLite names the columns)."""
    text = str(err)
    if "users.username" in text:
        return Conflict(f"A user named '{user}' already exists.")
    if "users.is_owner" in text:
        return Conflict("The hub already has an owner.")
    if "refresh_tokens.client_name" in text:
        return Conflict("This user already has a long-lived token with that name.")
    return Conflict("The change conflicts with existing data.")


class AuthStore:
    """Reads and writes users and refresh tokens; every write is one transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add_user(
        self, user: User, password_hash: str, *, policy: PolicyStamp | None = None
    ) -> None:
        """Insert a user; Conflict if the username (or the owner role) is taken.

        `policy` is the (version, minimum length) the password was checked against.
        """
        version, min_length = policy or (None, None)
        try:
            with self._db.transaction() as conn:
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
            raise _conflict(err, user.username) from None

    def user(self, user_id: str) -> User | None:
        """One user by id."""
        row = self._db.query_one(
            f"SELECT {_USER_COLUMNS} FROM users WHERE id = ?",  # noqa: S608 - constant columns
            (user_id,),
        )
        return None if row is None else _user(row)

    def user_with_hash(self, username: str) -> tuple[User, str | None] | None:
        """A user by normalised username, with the stored password hash."""
        row = self._db.query_one(
            f"SELECT {_USER_COLUMNS}, password_hash FROM users "  # noqa: S608 - constant
            "WHERE username = ?",
            (username,),
        )
        return None if row is None else (_user(row), row["password_hash"])

    def users(self) -> list[User]:
        """Every user, oldest first."""
        rows = self._db.query(
            f"SELECT {_USER_COLUMNS} FROM users ORDER BY created_at, username"  # noqa: S608
        )
        return [_user(row) for row in rows]

    def replace_password_hash(self, user_id: str, old: str, new: str) -> bool:
        """Swap the hash if it is still `old` (a concurrent password change wins)."""
        with self._db.transaction() as conn:
            cur = conn.execute(
                "UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?",
                (new, user_id, old),
            )
        return cur.rowcount == 1

    def set_password_hash(
        self, user_id: str, password_hash: str, *, policy: PolicyStamp | None = None
    ) -> bool:
        """Replace a user's password hash; False if there is no such user."""
        version, min_length = policy or (None, None)
        with self._db.transaction() as conn:
            cur = conn.execute(
                "UPDATE users SET password_hash = ?, password_policy_version = ?, "
                "password_min_length = ? WHERE id = ?",
                (password_hash, version, min_length, user_id),
            )
        return cur.rowcount == 1

    def update_user(self, user_id: str, changes: dict[str, str | bool]) -> bool:
        """Set some of name, is_admin, is_active, local_only; False if there is no such user."""
        unknown = set(changes) - _UPDATABLE
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        if not changes:
            return self.user(user_id) is not None
        assignments = ", ".join(f"{column} = ?" for column in changes)
        with self._db.transaction() as conn:
            cur = conn.execute(
                f"UPDATE users SET {assignments} WHERE id = ?",  # noqa: S608 - whitelisted columns
                (*changes.values(), user_id),
            )
        return cur.rowcount == 1

    def set_active(self, user_id: str, is_active: bool) -> bool:
        """Activate or deactivate; False if there is no such user."""
        with self._db.transaction() as conn:
            cur = conn.execute("UPDATE users SET is_active = ? WHERE id = ?", (is_active, user_id))
        return cur.rowcount == 1

    def add_token(self, token: RefreshToken, token_hash: str, username: str) -> None:
        """Insert a refresh token, storing only the hash of its secret."""
        try:
            with self._db.transaction() as conn:
                conn.execute(
                    f"INSERT INTO refresh_tokens ({_REFRESH_COLUMNS}, token_hash) "  # noqa: S608
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        token.id,
                        token.user_id,
                        token.token_type.value,
                        _ts(token.created_at),
                        token.access_token_expiration.total_seconds(),
                        token.client_id,
                        token.client_name,
                        _ts(token.expires_at),
                        _ts(token.last_used_at),
                        token.last_used_ip,
                        token.jwt_key,
                        token_hash,
                    ),
                )
        except sqlite3.IntegrityError as err:
            raise _conflict(err, username) from None

    def token(self, token_id: str) -> RefreshToken | None:
        """One refresh token by id."""
        row = self._db.query_one(
            f"SELECT {_REFRESH_COLUMNS} FROM refresh_tokens WHERE id = ?",  # noqa: S608
            (token_id,),
        )
        return None if row is None else _token(row)

    def token_by_hash(self, token_hash: str) -> tuple[RefreshToken, str] | None:
        """A refresh token by the hash of its secret, with the stored hash."""
        row = self._db.query_one(
            f"SELECT {_REFRESH_COLUMNS}, token_hash FROM refresh_tokens "  # noqa: S608
            "WHERE token_hash = ?",
            (token_hash,),
        )
        return None if row is None else (_token(row), row["token_hash"])

    def tokens(self, user_id: str | None = None) -> list[RefreshToken]:
        """Refresh tokens, all or one user's, oldest first."""
        sql = f"SELECT {_REFRESH_COLUMNS} FROM refresh_tokens"  # noqa: S608 - constant columns
        if user_id is None:
            rows = self._db.query(sql + " ORDER BY created_at, id")
        else:
            rows = self._db.query(sql + " WHERE user_id = ? ORDER BY created_at, id", (user_id,))
        return [_token(row) for row in rows]

    def touch_token(self, token_id: str, used_at: datetime, ip: str | None) -> None:
        """Record when (and from where) a refresh token was last used."""
        with self._db.transaction() as conn:
            conn.execute(
                "UPDATE refresh_tokens SET last_used_at = ?, last_used_ip = ? WHERE id = ?",
                (_ts(used_at), ip, token_id),
            )

    def rotate_token(self, token_id: str, old_hash: str, new_hash: str, at: datetime) -> bool:
        """Give a refresh token a new secret, remembering the old one's hash to spot its reuse.

        False when the old hash is no longer current (a concurrent rotation won).
        """
        with self._db.transaction() as conn:
            cur = conn.execute(
                "UPDATE refresh_tokens SET token_hash = ? WHERE id = ? AND token_hash = ?",
                (new_hash, token_id, old_hash),
            )
            if cur.rowcount != 1:
                return False
            conn.execute(
                "INSERT OR IGNORE INTO rotated_refresh_tokens "
                "(token_hash, refresh_token_id, rotated_at) VALUES (?, ?, ?)",
                (old_hash, token_id, _ts(at)),
            )
        return True

    def rotated_token_id(self, token_hash: str) -> str | None:
        """The refresh token that a rotated-out secret (by hash) belonged to, if any."""
        row = self._db.query_one(
            "SELECT refresh_token_id FROM rotated_refresh_tokens WHERE token_hash = ?",
            (token_hash,),
        )
        return None if row is None else str(row[0])

    def delete_token(self, token_id: str) -> bool:
        """Delete a refresh token; False if there was none."""
        with self._db.transaction() as conn:
            cur = conn.execute("DELETE FROM refresh_tokens WHERE id = ?", (token_id,))
        return cur.rowcount == 1
