"""SQL for TOTP secrets and recovery codes: reads on the loop, writes as functions of the writer."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from hearth.exceptions import Conflict, NotFound
from hearth.storage import Database


@dataclass(frozen=True, slots=True)
class TotpRecord:
    """A user's enrolled authenticator, with what the checks need about the user."""

    user_id: str
    username: str
    is_active: bool
    last_step: int
    created_at: datetime
    secret: str = field(repr=False)


class MfaStore:
    """Reads the `mfa_totp` and `mfa_recovery_codes` tables (indexed lookups)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def totp(self, user_id: str) -> TotpRecord | None:
        """A user's TOTP enrolment, or None."""
        row = self._db.query_one(
            "SELECT t.user_id, u.username, u.is_active, t.secret, t.last_step, t.created_at "
            "FROM mfa_totp AS t JOIN users AS u ON u.id = t.user_id WHERE t.user_id = ?",
            (user_id,),
        )
        if row is None:
            return None
        return TotpRecord(
            user_id=row["user_id"],
            username=row["username"],
            is_active=bool(row["is_active"]),
            last_step=row["last_step"],
            created_at=datetime.fromisoformat(row["created_at"]),
            secret=row["secret"],
        )

    def username(self, user_id: str) -> str | None:
        """The username of a user id, or None."""
        row = self._db.query_one("SELECT username FROM users WHERE id = ?", (user_id,))
        return None if row is None else str(row[0])

    def recovery_hashes(self, user_id: str) -> list[tuple[int, str]]:
        """(id, hash) of each unused recovery code of a user."""
        rows = self._db.query(
            "SELECT id, code_hash FROM mfa_recovery_codes WHERE user_id = ? ORDER BY id",
            (user_id,),
        )
        return [(row["id"], row["code_hash"]) for row in rows]

    def recovery_codes_left(self, user_id: str) -> int:
        """How many unused recovery codes a user has."""
        row = self._db.query_one(
            "SELECT count(*) AS n FROM mfa_recovery_codes WHERE user_id = ?", (user_id,)
        )
        return 0 if row is None else int(row["n"])

    def any_admin_enrolled(self) -> bool:
        """Whether at least one active administrator has MFA set up (TOTP or a passkey)."""
        row = self._db.query_one(
            "SELECT 1 FROM users AS u WHERE u.is_admin = 1 AND u.is_active = 1 AND ("
            "EXISTS (SELECT 1 FROM mfa_totp AS t WHERE t.user_id = u.id) OR "
            "EXISTS (SELECT 1 FROM passkeys AS p WHERE p.user_id = u.id)) LIMIT 1"
        )
        return row is not None

    def enrolled_user_ids(self) -> set[str]:
        """The ids of every user with MFA set up."""
        return {row["user_id"] for row in self._db.query("SELECT user_id FROM mfa_totp")}


# Writes: each runs inside a transaction of the writer thread.


def enroll(
    conn: sqlite3.Connection,
    user_id: str,
    secret: str,
    *,
    last_step: int,
    created_at: datetime,
    code_hashes: Sequence[str],
) -> None:
    """Store the secret and the recovery-code hashes together; Conflict if already enrolled."""
    try:
        conn.execute(
            "INSERT INTO mfa_totp (user_id, secret, last_step, created_at) VALUES (?, ?, ?, ?)",
            (user_id, secret, last_step, created_at.isoformat()),
        )
        conn.executemany(
            "INSERT INTO mfa_recovery_codes (user_id, code_hash) VALUES (?, ?)",
            [(user_id, code_hash) for code_hash in code_hashes],
        )
    except sqlite3.IntegrityError as err:
        if "mfa_totp.user_id" in str(err):
            raise Conflict("Multi-factor authentication is already set up for this user.") from None
        raise NotFound("User not found.") from None  # deleted meanwhile (foreign key)


def advance_step(conn: sqlite3.Connection, user_id: str, step: int) -> bool:
    """Record `step` as used if it is newer than the last one; False means a replay.

    The comparison happens inside the UPDATE, so two processes (or two racing requests)
    cannot both accept the same code.
    """
    cur = conn.execute(
        "UPDATE mfa_totp SET last_step = ? WHERE user_id = ? AND last_step < ?",
        (step, user_id, step),
    )
    return cur.rowcount == 1


def use_recovery_code(conn: sqlite3.Connection, user_id: str, code_id: int) -> int | None:
    """Delete a recovery code; how many the user has left, or None if it was already used."""
    if conn.execute("DELETE FROM mfa_recovery_codes WHERE id = ?", (code_id,)).rowcount != 1:
        return None
    row = conn.execute(
        "SELECT count(*) FROM mfa_recovery_codes WHERE user_id = ?", (user_id,)
    ).fetchone()
    return int(row[0])


def remove(conn: sqlite3.Connection, user_id: str) -> bool:
    """Forget a user's secret and recovery codes; False if there was nothing to forget."""
    conn.execute("DELETE FROM mfa_recovery_codes WHERE user_id = ?", (user_id,))
    return conn.execute("DELETE FROM mfa_totp WHERE user_id = ?", (user_id,)).rowcount == 1


def replace_recovery_codes(
    conn: sqlite3.Connection, user_id: str, code_hashes: Sequence[str]
) -> bool:
    """Swap all of a user's recovery codes for new ones; False if the user has no MFA."""
    enrolled = conn.execute("SELECT 1 FROM mfa_totp WHERE user_id = ?", (user_id,)).fetchone()
    if enrolled is None:
        return False
    conn.execute("DELETE FROM mfa_recovery_codes WHERE user_id = ?", (user_id,))
    conn.executemany(
        "INSERT INTO mfa_recovery_codes (user_id, code_hash) VALUES (?, ?)",
        [(user_id, code_hash) for code_hash in code_hashes],
    )
    return True
