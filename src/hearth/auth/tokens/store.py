"""SQL for refresh tokens and their tombstones, mapping rows to the plain model.

Every query of one user's tokens uses the index `refresh_tokens_user_type` (user, type, creation):
creating, counting and listing never scan the table (tests/auth/test_token_store.py checks the
query plans).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from typing import Final

from hearth.auth.models import RefreshToken, TokenType
from hearth.exceptions import Conflict
from hearth.storage import Database

REFRESH_COLUMNS: Final = (
    "id, user_id, token_type, created_at, access_token_expiration, client_id, client_name, "
    "expires_at, last_used_at, last_used_ip, jwt_key"
)
COUNT_TOKENS_SQL: Final = "SELECT count(*) FROM refresh_tokens WHERE user_id = ? AND token_type = ?"
USER_TOKENS_SQL: Final = (
    f"SELECT {REFRESH_COLUMNS} FROM refresh_tokens "  # noqa: S608 - constant columns
    "WHERE user_id = ? ORDER BY created_at, id"
)
# Sessions of a user, least recently used first: the ones that make room at the cap.
LEAST_USED_SQL: Final = (
    "SELECT id FROM refresh_tokens WHERE user_id = ? AND token_type = ? "
    "ORDER BY coalesce(last_used_at, created_at), id LIMIT ?"
)
TOMBSTONE_SQL: Final = "SELECT 1 FROM revoked_tokens WHERE key = ?"


def _ts(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _dt(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def token_from_row(row: sqlite3.Row) -> RefreshToken:
    """A refresh token from a row with REFRESH_COLUMNS."""
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


class TokenStore:
    """Reads refresh tokens and tombstones: each one indexed lookup."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def token(self, token_id: str) -> RefreshToken | None:
        """One refresh token by id."""
        row = self.db.query_one(
            f"SELECT {REFRESH_COLUMNS} FROM refresh_tokens WHERE id = ?",  # noqa: S608
            (token_id,),
        )
        return None if row is None else token_from_row(row)

    def token_by_hash(self, token_hash: str) -> tuple[RefreshToken, str] | None:
        """A refresh token by the hash of its secret, with the stored hash."""
        row = self.db.query_one(
            f"SELECT {REFRESH_COLUMNS}, token_hash FROM refresh_tokens "  # noqa: S608
            "WHERE token_hash = ?",
            (token_hash,),
        )
        return None if row is None else (token_from_row(row), row["token_hash"])

    def tokens(self, user_id: str | None = None) -> list[RefreshToken]:
        """Refresh tokens, all or one user's, oldest first."""
        if user_id is not None:
            return [token_from_row(row) for row in self.db.query(USER_TOKENS_SQL, (user_id,))]
        rows = self.db.query(
            f"SELECT {REFRESH_COLUMNS} FROM refresh_tokens ORDER BY created_at, id"  # noqa: S608
        )
        return [token_from_row(row) for row in rows]

    def token_ids(self, user_id: str) -> list[str]:
        """The ids of one user's tokens."""
        rows = self.db.query("SELECT id FROM refresh_tokens WHERE user_id = ?", (user_id,))
        return [str(row[0]) for row in rows]

    def rotated_token_id(self, token_hash: str) -> str | None:
        """The refresh token that a rotated-out secret (by hash) belonged to, if any."""
        row = self.db.query_one(
            "SELECT refresh_token_id FROM rotated_refresh_tokens WHERE token_hash = ?",
            (token_hash,),
        )
        return None if row is None else str(row[0])

    def is_revoked(self, key: str) -> bool:
        """Whether `key` (a session id, or the hash of a secret) belonged to a revoked or expired
        session of this hub."""
        return self.db.query_one(TOMBSTONE_SQL, (key,)) is not None


def load_tokens(conn: sqlite3.Connection) -> list[RefreshToken]:
    """Every refresh token, from any connection (for reloads off the event loop)."""
    rows = conn.execute(f"SELECT {REFRESH_COLUMNS} FROM refresh_tokens").fetchall()  # noqa: S608
    return [token_from_row(row) for row in rows]


# Writes: each runs inside a transaction of the writer thread.


def insert_token(conn: sqlite3.Connection, token: RefreshToken, token_hash: str) -> None:
    """Insert a refresh token, storing only the hash of its secret."""
    try:
        conn.execute(
            f"INSERT INTO refresh_tokens ({REFRESH_COLUMNS}, token_hash) "  # noqa: S608
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
        if "refresh_tokens.client_name" in str(err):
            raise Conflict("This user already has a long-lived token with that name.") from None
        raise Conflict("The user does not exist any more.") from None


def count_tokens(conn: sqlite3.Connection, user_id: str, token_type: TokenType) -> int:
    """How many tokens of one type a user has."""
    return int(conn.execute(COUNT_TOKENS_SQL, (user_id, token_type.value)).fetchone()[0])


def least_used_sessions(conn: sqlite3.Connection, user_id: str, count: int) -> list[str]:
    """The ids of a user's `count` least recently used login sessions."""
    rows = conn.execute(LEAST_USED_SQL, (user_id, TokenType.NORMAL.value, count)).fetchall()
    return [str(row[0]) for row in rows]


def touch_token(conn: sqlite3.Connection, token_id: str, used_at: datetime, ip: str | None) -> None:
    """Record when (and from where) a refresh token was last used."""
    conn.execute(
        "UPDATE refresh_tokens SET last_used_at = ?, last_used_ip = ? WHERE id = ?",
        (_ts(used_at), ip, token_id),
    )


def rotate_token(
    conn: sqlite3.Connection, token_id: str, old_hash: str, new_hash: str, at: datetime
) -> bool:
    """Give a refresh token a new secret, remembering the old one's hash to spot its reuse.

    False when the old hash is no longer current (a concurrent rotation won).
    """
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


def bury_token(conn: sqlite3.Connection, token_id: str, now: float) -> bool:
    """Delete a refresh token, keeping tombstones of its id and of its secrets' hashes (current
    and rotated out); False if there was no such token."""
    for sql in (
        "SELECT id, ? FROM refresh_tokens WHERE id = ?",
        "SELECT token_hash, ? FROM refresh_tokens WHERE id = ?",
        "SELECT token_hash, ? FROM rotated_refresh_tokens WHERE refresh_token_id = ?",
    ):
        conn.execute(
            "INSERT OR REPLACE INTO revoked_tokens (key, revoked_at) " + sql, (now, token_id)
        )
    return conn.execute("DELETE FROM refresh_tokens WHERE id = ?", (token_id,)).rowcount == 1


def prune_tombstones(conn: sqlite3.Connection, before: float, keep: int) -> int:
    """Forget tombstones older than `before`, and all but the newest `keep`."""
    deleted = conn.execute("DELETE FROM revoked_tokens WHERE revoked_at < ?", (before,)).rowcount
    row = conn.execute(
        "SELECT revoked_at FROM revoked_tokens ORDER BY revoked_at DESC LIMIT 1 OFFSET ?", (keep,)
    ).fetchone()
    if row is not None:
        deleted += conn.execute(
            "DELETE FROM revoked_tokens WHERE revoked_at <= ?", (row[0],)
        ).rowcount
    return int(deleted)
