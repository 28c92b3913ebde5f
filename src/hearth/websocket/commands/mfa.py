"""MFA over the WebSocket: Home Assistant's auth/setup_mfa flow and auth/depose_mfa, plus status."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Final

from pydantic import Field, model_validator

from hearth.auth.user_rights import user_change_refusal
from hearth.exceptions import InvalidCode, NotFound, PermissionDenied
from hearth.http.ban import record_auth_failure
from hearth.http.keys import KEY_MFA
from hearth.http.network import request_is_local
from hearth.http.view import client_ip
from hearth.websocket.commands.users import (
    ERR_INVALID_CURRENT_PASSWORD,
    Password,
    confirm_password,
)
from hearth.websocket.spec import CommandSpec, Params, command

if TYPE_CHECKING:
    from hearth.auth.mfa.manager import MfaManager, TotpSetup
    from hearth.websocket.connection import Connection

MODULE_ID: Final = "totp"
MODULE_NAME: Final = "Authenticator app"
ERR_NO_MODULE: Final = "no_module"
ERR_CODE_REQUIRED: Final = "code_required"
ERR_INVALID_CODE: Final = InvalidCode.code
ERR_PASSWORD_REQUIRED: Final = "password_required"  # noqa: S105 - an error code
ShortText = Annotated[str, Field(max_length=64)]


def _mfa(conn: Connection) -> MfaManager:
    return conn.request.app[KEY_MFA]


def _client(conn: Connection) -> dict[str, str | None]:
    """Where the command came from, for the audit log."""
    return {
        "ip": str(client_ip(conn.request)),
        "user_agent": conn.request.headers.get("User-Agent"),
    }


def _form(setup: TotpSetup, errors: dict[str, str]) -> dict[str, Any]:
    """The setup step as a data-entry-flow form, shaped like Home Assistant's TOTP module."""
    return {
        "type": "form",
        "flow_id": setup.setup_id,
        "handler": MODULE_ID,
        "step_id": "init",
        "data_schema": [{"name": "code", "type": "string", "required": True}],
        "errors": errors,
        # Home Assistant's names: `code` is the secret for typing in by hand, `url` the
        # otpauth URI, `qr_code` an inline SVG (scripts and links never appear in it).
        "description_placeholders": {
            "code": setup.secret,
            "url": setup.otpauth_uri,
            "qr_code": setup.qr_svg,
        },
        "last_step": None,
        "preview": None,
    }


class SetupMfaParams(Params):
    """Fields of auth/setup_mfa: start with `mfa_module_id`, answer with `flow_id` and input."""

    mfa_module_id: ShortText | None = None
    flow_id: ShortText | None = None
    user_input: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _module_or_flow(self) -> SetupMfaParams:
        if (self.mfa_module_id is None) == (self.flow_id is None):
            raise ValueError("exactly one of mfa_module_id and flow_id is required")
        return self


@command("auth/setup_mfa", SetupMfaParams)
async def setup_mfa(conn: Connection, msg_id: int, params: SetupMfaParams) -> None:
    """Enrol this user in TOTP: a form with the QR code, then a code in, recovery codes out."""
    mfa = _mfa(conn)
    if params.flow_id is None:
        if params.mfa_module_id != MODULE_ID:
            conn.send_error(msg_id, ERR_NO_MODULE, "MFA module not found.")
            return
        started = await mfa.begin_totp_setup(conn.user)
        conn.send_result(msg_id, _form(started, {}))
        return
    setup = mfa.pending_setup(conn.user.id, params.flow_id)
    if setup is None:
        raise NotFound("This setup has expired or does not exist; start again.")
    if params.user_input is None:
        conn.send_result(msg_id, _form(setup, {}))
        return
    try:
        codes = await mfa.activate_totp(
            conn.user.id, setup.setup_id, params.user_input.get("code"), **_client(conn)
        )
    except InvalidCode:
        conn.send_result(msg_id, _form(setup, {"base": ERR_INVALID_CODE}))
        return
    conn.send_result(
        msg_id,
        {
            "type": "create_entry",
            "flow_id": setup.setup_id,
            "handler": MODULE_ID,
            "title": MODULE_NAME,
            "description": None,
            "description_placeholders": None,
            # Shown once: only hashes are kept.
            "data": {"recovery_codes": codes},
        },
    )


class DeposeMfaParams(Params):
    """Fields of auth/depose_mfa: `code` is the acting user's current code or a recovery code
    (when they have MFA), `password` their password (when they have none)."""

    mfa_module_id: ShortText
    code: ShortText | None = None
    password: Password | None = None
    user_id: ShortText | None = None


@command("auth/depose_mfa", DeposeMfaParams)
async def depose_mfa(conn: Connection, msg_id: int, params: DeposeMfaParams) -> None:
    """Remove a second factor: your own with a current code, another user's as an admin."""
    if params.mfa_module_id != MODULE_ID:
        conn.send_error(msg_id, ERR_NO_MODULE, "MFA module not found.")
        return
    mfa, me = _mfa(conn), conn.user
    target_id = params.user_id or me.id
    if target_id != me.id:
        if not me.is_admin:
            raise PermissionDenied("Only an administrator can remove another user's MFA.")
        target = conn.auth.get_user(target_id)
        if target is None:
            raise NotFound("User not found.")
        # The owner's second factor is theirs to remove (or the CLI's, for someone at the host).
        refusal = user_change_refusal(me, target, ["mfa"])
        if refusal is not None:
            raise refusal
    if not mfa.has_mfa(target_id):
        raise NotFound("Multi-factor authentication is not set up for this user.")
    # Threat: a stolen session alone must not strip a second factor. Whoever acts proves a
    # factor of their own: a current code (or a recovery code) if they have MFA, else their
    # password.
    if mfa.has_mfa(me.id):
        if params.code is None:
            conn.send_error(msg_id, ERR_CODE_REQUIRED, "Enter a current code from your app.")
            return
        client = _client(conn)
        remote = not request_is_local(conn.request)
        checked = await mfa.check(me.id, params.code, **client, remote=remote)
        if not checked.accepted:
            if checked.counts:
                # A bad MFA code is a credential failure: it counts toward the IP ban.
                record_auth_failure(conn.request, reason="invalid_mfa_code", username=me.username)
            conn.send_error(msg_id, ERR_INVALID_CODE, "The code is not valid.")
            return
    else:
        if params.password is None:
            conn.send_error(msg_id, ERR_PASSWORD_REQUIRED, "Enter your password to confirm.")
            return
        if not await confirm_password(conn, params.password):
            conn.send_error(msg_id, ERR_INVALID_CURRENT_PASSWORD, "Invalid current password")
            return
    await mfa.disable(target_id, by=me.username, **_client(conn))
    conn.send_result(msg_id, "done")


class MfaStatusParams(Params):
    """Fields of auth/mfa_status; another user's status needs an administrator."""

    user_id: ShortText | None = None


@command("auth/mfa_status", MfaStatusParams)
def mfa_status(conn: Connection, msg_id: int, params: MfaStatusParams) -> None:
    """Whether a user has MFA, since when, and how many recovery codes remain (nothing secret)."""
    target_id = params.user_id or conn.user.id
    if target_id != conn.user.id:
        if not conn.user.is_admin:
            raise PermissionDenied("Only an administrator can see another user's MFA.")
        if conn.auth.get_user(target_id) is None:
            raise NotFound("User not found.")
    status = _mfa(conn).status(target_id)
    conn.send_result(
        msg_id,
        {
            "user_id": target_id,
            "mfa_modules": [{"id": MODULE_ID, "name": MODULE_NAME, "enabled": status.enabled}],
            "enabled_at": None if status.created_at is None else status.created_at.isoformat(),
            "recovery_codes_left": status.recovery_codes_left,
        },
    )


COMMANDS: Final[tuple[CommandSpec[Any], ...]] = (setup_mfa, depose_mfa, mfa_status)
