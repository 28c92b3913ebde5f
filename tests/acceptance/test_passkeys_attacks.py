"""Attacks on passkeys against the running hub, over real sockets, with responses made by a
software authenticator: a replayed assertion, a phishing origin, another user's passkey, a
spent challenge (each counted toward the IP ban like a wrong code), a stolen session removing a
passkey, another site driving the API, and a host name the hub does not own."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.acceptance.ban_support import ATTACKER, failure_lines
from tests.acceptance.support import (
    PASSWORD,
    USERNAME,
    HttpReply,
    RunningHub,
    create_token,
    create_user,
    hearth,
    request,
)
from tests.auth.soft_authenticator import SoftAuthenticator

pytestmark = pytest.mark.acceptance


def origin(hub: RunningHub) -> str:
    return f"http://localhost:{hub.port}"


def call(
    hub: RunningHub,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    *,
    token: str | None = None,
    source: str | None = None,
    headers: dict[str, str] | None = None,
) -> HttpReply:
    """A request addressed to the hub as `localhost` (a name browsers allow passkeys for)."""
    sent = {"Host": f"localhost:{hub.port}", **(headers or {})}
    data = None if body is None else json.dumps(body).encode()
    return request(hub, method, path, body=data, token=token, source=source, headers=sent)


def register(hub: RunningHub, token: str) -> SoftAuthenticator:
    device = SoftAuthenticator(origin=origin(hub), rp_id="localhost")
    begun = call(hub, "POST", "/api/passkeys/registration", {}, token=token)
    assert begun.status == 200, begun
    options = begun.json()["options"]
    assert options["rp"]["id"] == "localhost"
    done = call(
        hub,
        "POST",
        "/api/passkeys",
        {"ceremony_id": begun.json()["ceremony_id"], "credential": device.create(options)},
        token=token,
    )
    assert done.status == 201, done
    return device


def to_passkey_step(hub: RunningHub, source: str | None = None) -> tuple[str, dict[str, Any]]:
    """Password accepted: the flow id and the passkey options of the second step."""
    client = {"client_id": origin(hub) + "/"}
    begun = call(
        hub,
        "POST",
        "/auth/login_flow",
        {**client, "handler": ["homeassistant", None], "redirect_uri": origin(hub) + "/?x=1"},
        source=source,
    )
    flow_id = begun.json()["flow_id"]
    step = call(
        hub,
        "POST",
        f"/auth/login_flow/{flow_id}",
        {**client, "username": USERNAME, "password": PASSWORD},
        source=source,
    )
    assert step.json()["step_id"] == "mfa", step
    return flow_id, json.loads(step.json()["description_placeholders"]["passkey_options"])


def answer(
    hub: RunningHub, flow_id: str, passkey: dict[str, Any] | str, source: str | None = None
) -> HttpReply:
    text = passkey if isinstance(passkey, str) else json.dumps(passkey)
    body = {"client_id": origin(hub) + "/", "passkey": text}
    return call(hub, "POST", f"/auth/login_flow/{flow_id}", body, source=source)


def refused(reply: HttpReply) -> dict[str, Any]:
    """The form again, with `invalid_passkey` and a fresh challenge."""
    assert reply.status == 200, reply
    body: dict[str, Any] = reply.json()
    assert body["type"] == "form", body
    assert body["errors"] == {"base": "invalid_passkey"}
    options: dict[str, Any] = json.loads(body["description_placeholders"]["passkey_options"])
    return options


def audit_reasons(hub: RunningHub) -> list[str]:
    listed = hearth(hub.config_dir, "audit", "log", "--event", "passkey_failed", "--json")
    assert listed.returncode == 0, listed.stderr
    return [json.loads(line)["details"]["reason"] for line in listed.stdout.splitlines() if line]


def test_stolen_assertions_and_challenges_are_refused_and_counted(hub: RunningHub) -> None:
    mine = register(hub, hub.token)
    create_user(hub.config_dir, "bob", admin=False)
    bobs = register(hub, create_token(hub.config_dir, "bob"))

    # The real user logs in; someone records the assertion (a proxy log, malware in the page).
    flow_id, options = to_passkey_step(hub)
    seen = mine.get(options)
    assert answer(hub, flow_id, seen).json()["type"] == "create_entry"

    # The attacker knows the password (phished) and works from another address.
    flow_id, _ = to_passkey_step(hub, ATTACKER)
    options = refused(answer(hub, flow_id, seen, ATTACKER))  # 1: replayed
    phished = mine.get(options, origin="http://localhost.evil.example")
    options = refused(answer(hub, flow_id, phished, ATTACKER))  # 2: a phishing page's origin
    options = refused(answer(hub, flow_id, bobs.get(options), ATTACKER))  # 3: bob's passkey
    spent = options
    refused(answer(hub, flow_id, "{}", ATTACKER))  # 4: spends that challenge
    last = answer(hub, flow_id, mine.get(spent), ATTACKER)  # 5: a valid signature, spent challenge
    assert last.json()["type"] == "abort"
    assert last.json()["reason"] == "too_many_retry"

    # Five refused passkeys: banned, like five wrong codes.
    lines = failure_lines(hub, ATTACKER)
    assert len(lines) == 5
    assert all("invalid_passkey" in line for line in lines)
    assert call(hub, "GET", "/auth/providers", source=ATTACKER).status == 403
    reasons = audit_reasons(hub)
    # Replayed, phished, and signed over a spent challenge: the library's check refuses each.
    assert reasons.count("assertion_invalid: InvalidAuthenticationResponse") == 3
    assert "other_users_passkey" in reasons
    assert "unknown_passkey" in reasons


def test_a_session_alone_cannot_remove_a_passkey(hub: RunningHub) -> None:
    device = register(hub, hub.token)
    path = f"/api/passkeys/{device.id}"
    assert call(hub, "DELETE", path, {}, token=hub.token).status == 400
    wrong = call(hub, "DELETE", path, {"password": "not the password"}, token=hub.token)
    assert wrong.status == 400
    assert wrong.json()["message"] == "Invalid current password"
    listed = call(hub, "GET", "/api/passkeys", token=hub.token).json()
    assert [key["id"] for key in listed] == [device.id]
    assert call(hub, "DELETE", path, {"password": PASSWORD}, token=hub.token).status == 200
    assert call(hub, "GET", "/api/passkeys", token=hub.token).json() == []


def test_no_challenge_for_another_site_or_another_name(hub: RunningHub) -> None:
    # Another site's page driving the user's browser: refused before the token is looked at.
    cross = call(
        hub,
        "POST",
        "/api/passkeys/registration",
        {},
        token=hub.token,
        headers={"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
    )
    assert cross.status == 403
    # A name that is not the hub's (DNS rebinding) never reaches the passkey code.
    foreign = call(
        hub,
        "POST",
        "/api/passkeys/registration",
        {},
        token=hub.token,
        headers={"Host": "evil.example"},
    )
    assert foreign.status == 400
    assert "allowed_hosts" in foreign.json()["message"]
    # By IP address, browsers refuse passkeys: so does the hub, clearly.
    by_address = call(
        hub,
        "POST",
        "/api/passkeys/registration",
        {},
        token=hub.token,
        headers={"Host": f"127.0.0.1:{hub.port}"},
    )
    assert by_address.status == 400
    assert "host name" in by_address.json()["message"]
