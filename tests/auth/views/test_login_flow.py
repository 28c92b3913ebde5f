"""GET /auth/providers and the login flow over HTTP, in Home Assistant's shapes."""

from __future__ import annotations

import re

import pytest

from hearth.auth.manager import AuthManager
from hearth.auth.models import User

from .conftest import PASSWORD, Client, begin, client_id, log_in, redirect_uri, step


async def test_providers_before_onboarding(client: Client) -> None:
    resp = await client.get("/auth/providers")
    assert resp.status == 400
    assert await resp.json() == {
        "message": "Onboarding not finished",
        "code": "onboarding_required",
    }


async def test_providers(client: Client, alice: User) -> None:
    resp = await client.get("/auth/providers")
    assert resp.status == 200
    assert resp.headers["Cache-Control"] == "no-store"
    assert await resp.json() == {
        "providers": [{"name": "Hearth Local", "id": None, "type": "homeassistant"}],
        "preselect_remember_me": True,
    }


async def test_flow_shapes(client: Client, alice: User) -> None:
    flow = await begin(client)
    assert flow["type"] == "form"
    assert flow["step_id"] == "init"
    assert flow["handler"] == ["homeassistant", None]
    assert flow["errors"] == {}
    assert flow["data_schema"] == [
        {"type": "string", "name": "username", "required": True},
        {"type": "string", "name": "password", "required": True},
    ]


async def test_failed_step_is_200_with_invalid_auth(
    client: Client, alice: User, auth: AuthManager, caplog: pytest.LogCaptureFixture
) -> None:
    flow = await begin(client)
    status, result = await step(client, flow["flow_id"], username="Alice", password="not it at all")
    assert status == 200
    assert result["errors"] == {"base": "invalid_auth"}
    assert result["flow_id"] == flow["flow_id"]
    # The username as tried (stripped), the address, the reason: one line, never the password.
    assert "Login failed for user 'Alice' from 127.0.0.1: invalid_auth" in caplog.text
    assert "not it at all" not in caplog.text
    (failed,) = await auth.audit.query(event="login_failed")
    assert (failed.username, failed.ip) == ("Alice", "127.0.0.1")
    status, result = await step(client, flow["flow_id"], username="alice", password=PASSWORD)
    assert (status, result["type"]) == (200, "create_entry")


async def test_unknown_user_gets_the_same_answer(
    client: Client, alice: User, caplog: pytest.LogCaptureFixture
) -> None:
    flow = await begin(client)
    _, known = await step(client, flow["flow_id"], username="alice", password="wrong password")
    _, unknown = await step(client, flow["flow_id"], username="mallory", password="wrong password")
    assert known == unknown
    assert "Login failed for user 'alice' from 127.0.0.1: invalid_auth" in caplog.text
    # A name that is no user (perhaps a password typed in the wrong field) is never written
    # down: a keyed hash stands for it, the same for the same name.
    assert "mallory" not in caplog.text
    assert re.search(
        r"Login failed for user '#[0-9a-f]{12}' from 127\.0\.0\.1: invalid_auth", caplog.text
    )


async def test_flow_ends_after_success(client: Client, alice: User) -> None:
    flow = await begin(client)
    await step(client, flow["flow_id"], username="alice", password=PASSWORD)
    status, result = await step(client, flow["flow_id"], username="alice", password=PASSWORD)
    assert status == 404
    assert result == {"message": "Invalid flow specified"}


async def test_step_needs_the_same_client_id(client: Client, alice: User) -> None:
    flow = await begin(client)
    resp = await client.post(
        f"/auth/login_flow/{flow['flow_id']}",
        json={"client_id": "http://other.example/", "username": "alice", "password": PASSWORD},
    )
    assert resp.status == 400
    assert await resp.json() == {"message": "Invalid client id"}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"client_id": "ftp://x/", "handler": ["homeassistant", None]}, 400),
        ({"handler": ["homeassistant", None]}, 400),
        ({"client_id": "CLIENT", "handler": "homeassistant", "redirect_uri": "REDIRECT"}, 400),
        ({"client_id": "CLIENT", "handler": ["homeassistant"], "redirect_uri": "REDIRECT"}, 400),
        ({"client_id": "CLIENT", "handler": ["nope", None], "redirect_uri": "REDIRECT"}, 404),
        (
            {
                "client_id": "CLIENT",
                "handler": ["homeassistant", None],
                "redirect_uri": "http://evil/",
            },
            400,
        ),
        (
            {
                "client_id": "CLIENT",
                "handler": ["homeassistant", None],
                "redirect_uri": "REDIRECT",
                "type": "link_user",
            },
            400,
        ),
    ],
)
async def test_bad_flow_starts(
    client: Client, alice: User, body: dict[str, object], status: int
) -> None:
    fixed = {
        key: (
            client_id(client)
            if value == "CLIENT"
            else redirect_uri(client)
            if value == "REDIRECT"
            else value
        )
        for key, value in body.items()
    }
    resp = await client.post("/auth/login_flow", json=fixed)
    assert resp.status == status
    assert "message" in await resp.json()


@pytest.mark.parametrize("raw", [b"", b"not json", b"[1, 2]", b'{"client_id": 5}'])
async def test_garbage_bodies(client: Client, alice: User, raw: bytes) -> None:
    flow = await begin(client)
    for path in ("/auth/login_flow", f"/auth/login_flow/{flow['flow_id']}"):
        resp = await client.post(path, data=raw, headers={"Content-Type": "application/json"})
        assert resp.status == 400, path


async def test_step_with_missing_fields(client: Client, alice: User) -> None:
    flow = await begin(client)
    status, body = await step(client, flow["flow_id"], username="alice")
    assert status == 400
    assert "required" in body["message"]


async def test_cancel_flow(client: Client, alice: User) -> None:
    flow = await begin(client)
    resp = await client.delete(f"/auth/login_flow/{flow['flow_id']}")
    assert resp.status == 200
    status, _ = await step(client, flow["flow_id"], username="alice", password=PASSWORD)
    assert status == 404
    assert (await client.delete("/auth/login_flow/nope")).status == 404


async def test_code_works_once(client: Client, alice: User) -> None:
    code = await log_in(client)
    data = {"grant_type": "authorization_code", "client_id": client_id(client), "code": code}
    assert (await client.post("/auth/token", data=data)).status == 200
    again = await client.post("/auth/token", data=data)
    assert again.status == 400
    assert await again.json() == {"error": "invalid_request", "error_description": "Invalid code"}
