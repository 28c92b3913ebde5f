"""hearth/users/security, for administrators: each user's role, MFA, password and last login.

What the Security Center's Users section shows; read from the store off the event loop, never a
password hash or secret.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any, Final

from hearth import const
from hearth.auth.mfa import stored_policy
from hearth.auth.mfa.policy import MfaPolicy
from hearth.auth.views import KEY_LOGIN
from hearth.http.keys import KEY_CONFIG
from hearth.http.view import client_ip
from hearth.storage.audit import audit_row, insert_audit
from hearth.websocket.spec import CommandSpec, NoParams, Params, command

if TYPE_CHECKING:
    from hearth.websocket.connection import Connection


def _latest_by_user(conn: sqlite3.Connection, event: str) -> dict[str, str]:
    rows = conn.execute(
        "SELECT user_id, MAX(at) FROM audit_log WHERE event = ? AND user_id IS NOT NULL "
        "GROUP BY user_id",
        (event,),
    )
    return {row[0]: row[1] for row in rows}


def _read(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    enrolled = {row[0] for row in conn.execute("SELECT user_id FROM mfa_totp")}
    logins = _latest_by_user(conn, "login")
    changes = _latest_by_user(conn, "password_changed")
    users = []
    for row in conn.execute(
        "SELECT id, username, name, is_owner, is_admin, is_active, created_at, "
        "password_policy_version FROM users ORDER BY username"
    ):
        users.append(
            {
                "id": row["id"],
                "username": row["username"],
                "name": row["name"],
                "is_owner": bool(row["is_owner"]),
                "is_admin": bool(row["is_admin"]),
                "is_active": bool(row["is_active"]),
                "mfa": row["id"] in enrolled,
                # The last change, or the account's creation (when the first password was set).
                "password_set_at": changes.get(row["id"], row["created_at"]),
                "password_policy_version": row["password_policy_version"],
                "last_login": logins.get(row["id"]),
            }
        )
    return users


@command("hearth/users/security", NoParams, admin=True)
async def users_security(conn: Connection, msg_id: int, params: NoParams) -> None:
    """Every user's security state, and the MFA policy in force."""
    await conn.auth.db.flush()  # so that the latest logins are in
    users = await conn.auth.db.snapshot(_read)
    config = conn.request.app.get(KEY_CONFIG)
    configured = None if config is None else config.auth.mfa_required
    stored = stored_policy.stored(conn.auth.db)
    conn.send_result(
        msg_id,
        {
            "users": users,
            "mfa_required": stored or configured,
            "mfa_required_source": "security_center" if stored else "configuration",
            "password_policy_version": const.PASSWORD_POLICY_VERSION,
        },
    )


class RequireMfaParams(Params):
    """Fields of hearth/mfa/require: a policy, or null for the configuration's again."""

    policy: MfaPolicy | None


@command("hearth/mfa/require", RequireMfaParams, admin=True)
async def require_mfa(conn: Connection, msg_id: int, params: RequireMfaParams) -> None:
    """Set who must use MFA (in place of `auth: mfa_required`); applies from the next login."""
    app = conn.request.app
    config = app.get(KEY_CONFIG)
    row = audit_row(
        "mfa_policy_changed",
        user_id=conn.user.id,
        username=conn.user.username,
        ip=str(client_ip(conn.request)),
        details={"mfa_required": params.policy},
    )

    def store(db_conn: sqlite3.Connection) -> None:
        stored_policy.write(db_conn, params.policy)
        insert_audit(db_conn, row)

    await conn.auth.db.write(store)
    effective = params.policy or (None if config is None else config.auth.mfa_required)
    login = app.get(KEY_LOGIN)
    if login is not None:
        # Users without MFA who now need it are led through setting it up at their next login.
        login.mfa_policy = effective
    conn.send_result(msg_id, {"mfa_required": effective})


COMMANDS: Final[tuple[CommandSpec[Any], ...]] = (users_security, require_mfa)
