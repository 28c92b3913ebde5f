"""auth/setup_mfa, auth/depose_mfa and auth/mfa_status over a live WebSocket."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from hearth.auth.manager import AuthManager
from hearth.auth.mfa import codes as mfa_codes
from hearth.auth.models import User
from hearth.storage.audit import AuditLog
from tests.conftest import STRONG_PASSWORD
from tests.websocket.conftest import Connect, WsClient


def now_code(secret: str, offset: int = 0) -> str:
    """The code for the current time step (+offset): the server accepts +-1 step."""
    return mfa_codes.code_at(secret, mfa_codes.time_step(time.time()) + offset)


async def start(ws: WsClient) -> dict[str, Any]:
    form: dict[str, Any] = await ws.ok("auth/setup_mfa", mfa_module_id="totp")
    return form


async def enrol(ws: WsClient) -> tuple[str, list[str]]:
    """Enrol the connection's user; returns the secret and the recovery codes."""
    form = await start(ws)
    secret = form["description_placeholders"]["code"]
    done = await ws.ok(
        "auth/setup_mfa", flow_id=form["flow_id"], user_input={"code": now_code(secret)}
    )
    assert done["type"] == "create_entry"
    return secret, done["data"]["recovery_codes"]


async def test_setup_flow_has_home_assistants_shape(user_ws: WsClient, plain_user: User) -> None:
    form = await start(user_ws)
    assert form["type"] == "form"
    assert form["handler"] == "totp"
    assert form["step_id"] == "init"
    assert form["errors"] == {}
    assert form["data_schema"] == [{"name": "code", "type": "string", "required": True}]
    placeholders = form["description_placeholders"]
    assert (
        placeholders["url"]
        == f"otpauth://totp/Hearth:resident?secret={placeholders['code']}&issuer=Hearth"
    )
    svg = ET.fromstring(placeholders["qr_code"])  # noqa: S314 - our own output
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    assert "script" not in placeholders["qr_code"].lower()

    again = await user_ws.ok("auth/setup_mfa", flow_id=form["flow_id"])
    assert again == form  # no input: the same form again


async def test_wrong_code_shows_the_form_with_an_error(user_ws: WsClient) -> None:
    form = await start(user_ws)
    secret = form["description_placeholders"]["code"]
    wrong = "000000" if "000000" not in {now_code(secret, o) for o in (-1, 0, 1)} else "111111"
    for bad in (wrong, "not a code", 123456):
        retry = await user_ws.ok(
            "auth/setup_mfa", flow_id=form["flow_id"], user_input={"code": bad}
        )
        assert retry["type"] == "form"
        assert retry["errors"] == {"base": "invalid_code"}
        assert retry["flow_id"] == form["flow_id"]
    done = await user_ws.ok(
        "auth/setup_mfa", flow_id=form["flow_id"], user_input={"code": now_code(secret)}
    )
    assert done["type"] == "create_entry"
    assert done["title"] == "Authenticator app"
    codes = done["data"]["recovery_codes"]
    assert len(codes) == len(set(codes)) == 10


async def test_setup_errors(user_ws: WsClient, admin_ws: WsClient) -> None:
    assert (await user_ws.error("auth/setup_mfa", mfa_module_id="sms"))["code"] == "no_module"
    unknown = await user_ws.error("auth/setup_mfa", flow_id="f" * 32, user_input={"code": "1"})
    assert unknown["code"] == "not_found"
    both = await user_ws.error("auth/setup_mfa", mfa_module_id="totp", flow_id="x")
    assert both["code"] == "invalid_format"
    assert (await user_ws.error("auth/setup_mfa"))["code"] == "invalid_format"
    too_long = await user_ws.error("auth/setup_mfa", flow_id="f" * 65)
    assert too_long["code"] == "invalid_format"
    # Another user's flow is not yours to finish.
    form = await start(admin_ws)
    secret = form["description_placeholders"]["code"]
    stolen = await user_ws.error(
        "auth/setup_mfa", flow_id=form["flow_id"], user_input={"code": now_code(secret)}
    )
    assert stolen["code"] == "not_found"


async def test_cannot_start_setup_twice(user_ws: WsClient) -> None:
    await enrol(user_ws)
    assert (await user_ws.error("auth/setup_mfa", mfa_module_id="totp"))["code"] == "conflict"


async def test_status(user_ws: WsClient, plain_user: User) -> None:
    status = await user_ws.ok("auth/mfa_status")
    assert status == {
        "user_id": plain_user.id,
        "mfa_modules": [{"id": "totp", "name": "Authenticator app", "enabled": False}],
        "enabled_at": None,
        "recovery_codes_left": 0,
    }
    await enrol(user_ws)
    status = await user_ws.ok("auth/mfa_status")
    assert status["mfa_modules"][0]["enabled"] is True
    assert status["recovery_codes_left"] == 10
    assert status["enabled_at"] is not None
    # Home Assistant's profile page reads the same switch from auth/current_user.
    me = await user_ws.ok("auth/current_user")
    assert me["mfa_modules"] == [{"id": "totp", "name": "Authenticator app", "enabled": True}]


async def test_status_of_others_needs_an_admin(
    user_ws: WsClient, admin_ws: WsClient, plain_user: User, admin_user: User
) -> None:
    await enrol(user_ws)
    seen = await admin_ws.ok("auth/mfa_status", user_id=plain_user.id)
    assert seen["mfa_modules"][0]["enabled"] is True
    denied = await user_ws.error("auth/mfa_status", user_id=admin_user.id)
    assert denied["code"] == "unauthorized"
    assert (await admin_ws.error("auth/mfa_status", user_id="nobody"))["code"] == "not_found"


async def test_depose_own_needs_a_current_code(
    user_ws: WsClient, auth: AuthManager, plain_user: User
) -> None:
    secret, _ = await enrol(user_ws)
    missing = await user_ws.error("auth/depose_mfa", mfa_module_id="totp")
    assert missing["code"] == "code_required"
    wrong = await user_ws.error("auth/depose_mfa", mfa_module_id="totp", code="12345678")
    assert wrong["code"] == "invalid_code"
    assert (await user_ws.ok("auth/mfa_status"))["mfa_modules"][0]["enabled"] is True
    done = await user_ws.ok("auth/depose_mfa", mfa_module_id="totp", code=now_code(secret, 1))
    assert done == "done"
    assert (await user_ws.ok("auth/mfa_status"))["mfa_modules"][0]["enabled"] is False
    events = [e.event for e in await AuditLog(auth.db).query(user_id=plain_user.id)]
    assert "mfa_disabled" in events
    assert "mfa_enabled" in events
    # The wrong code was a credential failure: it reached the ban/fail2ban path too.
    failures = await AuditLog(auth.db).query(event="login_failed")
    assert [(e.username, e.details.get("reason")) for e in failures] == [
        ("resident", "invalid_mfa_code")
    ]


async def test_depose_with_a_recovery_code(user_ws: WsClient) -> None:
    _, codes = await enrol(user_ws)
    assert await user_ws.ok("auth/depose_mfa", mfa_module_id="totp", code=codes[0]) == "done"


async def test_depose_without_mfa_is_not_found(user_ws: WsClient) -> None:
    missing = await user_ws.error("auth/depose_mfa", mfa_module_id="totp", code="123456")
    assert missing["code"] == "not_found"
    module = await user_ws.error("auth/depose_mfa", mfa_module_id="sms", code="123456")
    assert module["code"] == "no_module"


async def test_admin_resets_another_user(
    user_ws: WsClient, admin_ws: WsClient, plain_user: User
) -> None:
    await enrol(user_ws)
    target = {"mfa_module_id": "totp", "user_id": plain_user.id}
    # An admin without MFA of their own has no code to give: a session alone is not enough,
    # they confirm with their password.
    missing = await admin_ws.error("auth/depose_mfa", **target)
    assert missing["code"] == "password_required"
    wrong = await admin_ws.error("auth/depose_mfa", **target, password="not the password")
    assert wrong["code"] == "invalid_current_password"
    assert (await user_ws.ok("auth/mfa_status"))["mfa_modules"][0]["enabled"] is True
    assert await admin_ws.ok("auth/depose_mfa", **target, password=STRONG_PASSWORD)
    assert (await user_ws.ok("auth/mfa_status"))["mfa_modules"][0]["enabled"] is False


async def test_admin_with_mfa_must_prove_it(
    user_ws: WsClient, admin_ws: WsClient, plain_user: User
) -> None:
    await enrol(user_ws)
    admin_secret, _ = await enrol(admin_ws)
    target = {"mfa_module_id": "totp", "user_id": plain_user.id}
    assert (await admin_ws.error("auth/depose_mfa", **target))["code"] == "code_required"
    assert await admin_ws.ok("auth/depose_mfa", **target, code=now_code(admin_secret, 1))


async def test_user_cannot_reset_others(
    user_ws: WsClient, admin_ws: WsClient, admin_user: User
) -> None:
    await enrol(admin_ws)
    denied = await user_ws.error(
        "auth/depose_mfa", mfa_module_id="totp", user_id=admin_user.id, code="123456"
    )
    assert denied["code"] == "unauthorized"
    assert (await admin_ws.ok("auth/mfa_status"))["mfa_modules"][0]["enabled"] is True


async def test_only_the_owner_resets_the_owner(
    admin_ws: WsClient, connect: Connect, auth: AuthManager
) -> None:
    owner = await auth.create_user("owner", STRONG_PASSWORD, is_owner=True)
    refresh, _ = await auth.create_refresh_token(owner, client_id="http://test/")
    owner_ws = await connect(auth.create_access_token(refresh))
    await enrol(owner_ws)
    denied = await admin_ws.error("auth/depose_mfa", mfa_module_id="totp", user_id=owner.id)
    assert denied["code"] == "unauthorized"
    unknown = await admin_ws.error("auth/depose_mfa", mfa_module_id="totp", user_id="nobody")
    assert unknown["code"] == "not_found"


@pytest.mark.parametrize("command", ["auth/setup_mfa", "auth/depose_mfa", "auth/mfa_status"])
async def test_secrets_stay_out_of_errors(user_ws: WsClient, command: str) -> None:
    error = await user_ws.error(command, unexpected="JBSWY3DPEHPK3PXP")
    assert error["code"] == "invalid_format"
    assert "JBSWY3DPEHPK3PXP" not in error["message"]
