"""Who must use MFA as set in the Security Center (`hearth/mfa/require`), stored in hearth.db.

When set, it takes the place of `auth: mfa_required` from configuration.yaml, for logins and for
`hearth check` alike; cleared, the configuration's value applies again. Nobody is locked out by
it: a user who must use MFA and has none is led through setting it up at the next login.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Final, cast

from hearth import const
from hearth.auth.mfa.policy import MFA_POLICIES, MfaPolicy

if TYPE_CHECKING:
    from hearth.storage.db import Database

KEY: Final = "mfa_required"


def read(conn: sqlite3.Connection) -> MfaPolicy | None:
    """The stored policy, or None (none stored, or no table yet)."""
    try:
        row = conn.execute("SELECT value FROM hearth_settings WHERE key = ?", (KEY,)).fetchone()
    except sqlite3.OperationalError:
        return None
    if row is None or row[0] not in MFA_POLICIES:
        return None
    return cast("MfaPolicy", row[0])


def stored(db: Database) -> MfaPolicy | None:
    """The stored policy of the hub's store (a short read, at start-up)."""
    row = db.query_one("SELECT value FROM hearth_settings WHERE key = ?", (KEY,))
    if row is None or row[0] not in MFA_POLICIES:
        return None
    return cast("MfaPolicy", row[0])


def read_from(config_dir: Path) -> MfaPolicy | None:
    """The stored policy of the configuration's hearth.db, opened read-only (for the check)."""
    from hearth.check.accounts_db import open_read_only
    from hearth.check.model import NotChecked

    try:
        with open_read_only(config_dir / const.DATABASE_FILE) as conn:
            return read(conn)
    except (NotChecked, sqlite3.Error, OSError):
        return None


def write(conn: sqlite3.Connection, policy: MfaPolicy | None) -> None:
    """Store the policy, or clear it (None), inside a write."""
    if policy is None:
        conn.execute("DELETE FROM hearth_settings WHERE key = ?", (KEY,))
    else:
        conn.execute(
            "INSERT OR REPLACE INTO hearth_settings (key, value) VALUES (?, ?)", (KEY, policy)
        )
