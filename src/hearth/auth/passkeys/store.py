"""SQL for passkeys: reads on the loop, writes as functions run by the writer thread."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime

import orjson

from hearth.exceptions import Conflict, NotFound
from hearth.storage import Database

_COLUMNS = (
    "id, user_id, rp_id, public_key, sign_count, transports, aaguid, name, created_at, last_used_at"
)


@dataclass(frozen=True, slots=True)
class Passkey:
    """One registered credential (the public key is not secret, but stays out of reprs)."""

    id: str  # the credential id, base64url
    user_id: str
    rp_id: str
    sign_count: int
    transports: list[str]
    aaguid: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    public_key: bytes = field(repr=False)

    def as_dict(self) -> dict[str, object]:
        """What its owner may see (no key material)."""
        return {
            "id": self.id,
            "name": self.name,
            "rp_id": self.rp_id,
            "aaguid": self.aaguid,
            "transports": self.transports,
            "created_at": self.created_at.isoformat(),
            "last_used_at": None if self.last_used_at is None else self.last_used_at.isoformat(),
        }


def _passkey(row: sqlite3.Row) -> Passkey:
    used = row["last_used_at"]
    return Passkey(
        id=row["id"],
        user_id=row["user_id"],
        rp_id=row["rp_id"],
        public_key=bytes(row["public_key"]),
        sign_count=int(row["sign_count"]),
        transports=list(orjson.loads(row["transports"])),
        aaguid=row["aaguid"],
        name=row["name"],
        created_at=datetime.fromisoformat(row["created_at"]),
        last_used_at=None if used is None else datetime.fromisoformat(used),
    )


class PasskeyStore:
    """Reads of the `passkeys` table (indexed by id and by user)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, credential_id: str) -> Passkey | None:
        """The passkey with this credential id, whoever owns it."""
        row = self._db.query_one(f"SELECT {_COLUMNS} FROM passkeys WHERE id = ?", (credential_id,))  # noqa: S608 - fixed columns
        return None if row is None else _passkey(row)

    def of_user(self, user_id: str) -> list[Passkey]:
        """A user's passkeys, oldest first."""
        rows = self._db.query(
            f"SELECT {_COLUMNS} FROM passkeys WHERE user_id = ? ORDER BY created_at, id",  # noqa: S608 - fixed columns
            (user_id,),
        )
        return [_passkey(row) for row in rows]

    def count(self, user_id: str) -> int:
        """How many passkeys a user has."""
        row = self._db.query_one("SELECT count(*) FROM passkeys WHERE user_id = ?", (user_id,))
        return 0 if row is None else int(row[0])

    def counts(self) -> dict[str, int]:
        """Per user id, how many passkeys (for administrators: counts, never credentials)."""
        rows = self._db.query("SELECT user_id, count(*) AS n FROM passkeys GROUP BY user_id")
        return {row["user_id"]: int(row["n"]) for row in rows}


# Writes: each runs inside a transaction of the writer thread.


def insert(conn: sqlite3.Connection, key: Passkey) -> None:
    """Store a new passkey; Conflict if its credential id is already registered."""
    try:
        conn.execute(
            f"INSERT INTO passkeys ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608 - fixed columns
            (
                key.id,
                key.user_id,
                key.rp_id,
                key.public_key,
                key.sign_count,
                orjson.dumps(key.transports).decode(),
                key.aaguid,
                key.name,
                key.created_at.isoformat(),
                None,
            ),
        )
    except sqlite3.IntegrityError as err:
        if "passkeys.id" in str(err):
            raise Conflict("This passkey is already registered.") from None
        raise NotFound("User not found.") from None  # deleted meanwhile (foreign key)


def advance_count(
    conn: sqlite3.Connection, credential_id: str, old: int, new: int, used_at: datetime
) -> bool:
    """Record a use; False if the count changed meanwhile (a racing use of a clone)."""
    cur = conn.execute(
        "UPDATE passkeys SET sign_count = ?, last_used_at = ? WHERE id = ? AND sign_count = ?",
        (new, used_at.isoformat(), credential_id, old),
    )
    return cur.rowcount == 1


def rename(conn: sqlite3.Connection, user_id: str, credential_id: str, name: str) -> bool:
    """Rename one of a user's passkeys; False if they have no such passkey."""
    cur = conn.execute(
        "UPDATE passkeys SET name = ? WHERE id = ? AND user_id = ?", (name, credential_id, user_id)
    )
    return cur.rowcount == 1


def remove_all(conn: sqlite3.Connection, user_id: str) -> int:
    """Remove every passkey of a user; how many there were."""
    return conn.execute("DELETE FROM passkeys WHERE user_id = ?", (user_id,)).rowcount


def remove(conn: sqlite3.Connection, user_id: str, credential_id: str) -> bool:
    """Remove one of a user's passkeys; False if they have no such passkey."""
    cur = conn.execute(
        "DELETE FROM passkeys WHERE id = ? AND user_id = ?", (credential_id, user_id)
    )
    return cur.rowcount == 1
