"""New recovery codes for a user who proves their second factor with a current app code.

Threat: a stolen session alone must not mint fresh recovery codes (which would be a lasting
second factor for the thief), so a current TOTP code is required; a recovery code is not
accepted here (whoever holds one old code must not trade it for ten new ones).
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from hearth.auth.mfa import codes as mfa_codes
from hearth.auth.mfa import store as mfa_store
from hearth.auth.mfa.codes import CodeKind
from hearth.exceptions import InvalidCode, NotFound
from hearth.storage.audit import audit_row, insert_audit

if TYPE_CHECKING:
    from hearth.auth.mfa.manager import CodeCheck, MfaManager
    from hearth.storage.db import Database


class RefusedCode(InvalidCode):
    """The code was refused; `check` says whether that counts against the client."""

    def __init__(self, check: CodeCheck | None) -> None:
        super().__init__("The code is not valid; enter the current 6-digit code from the app.")
        self.counts = check is None or check.counts


async def regenerate_recovery_codes(
    mfa: MfaManager,
    db: Database,
    user_id: str,
    username: str,
    code: str,
    *,
    ip: str | None = None,
    user_agent: str | None = None,
    remote: bool = False,
) -> list[str]:
    """Check the app code, then replace every recovery code; the new ones (shown once)."""
    if not mfa.has_mfa(user_id):
        raise NotFound("Multi-factor authentication is not set up for this user.")
    parsed = mfa_codes.classify(code)
    if parsed is None or parsed[0] is not CodeKind.TOTP:
        raise RefusedCode(None)
    checked = await mfa.check(user_id, code, ip=ip, user_agent=user_agent, remote=remote)
    if not checked.accepted:
        raise RefusedCode(checked)
    codes = mfa_codes.new_recovery_codes()
    hashes = [mfa_codes.hash_recovery_code(c.replace("-", "")) for c in codes]
    entry = audit_row(
        "recovery_codes_regenerated",
        user_id=user_id,
        username=username,
        ip=ip,
        user_agent=user_agent,
        details={"recovery_codes": len(codes)},
    )

    def store(conn: sqlite3.Connection) -> bool:
        if not mfa_store.replace_recovery_codes(conn, user_id, hashes):
            return False
        insert_audit(conn, entry)
        return True

    if not await db.write(store):
        raise NotFound("Multi-factor authentication is not set up for this user.")
    return codes
