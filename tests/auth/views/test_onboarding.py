"""The onboarding API: the owner is created only with the setup code."""

from __future__ import annotations

import re

import pytest
from aiohttp import web

from hearth.auth.manager import AuthManager
from hearth.auth.views import KEY_ONBOARDING

from .conftest import PASSWORD, Client, client_id, tokens


def setup_code(app: web.Application) -> str:
    code = app[KEY_ONBOARDING].setup_code()
    assert code is not None
    return code


def owner(client: Client, **changes: object) -> dict[str, object]:
    return {
        "client_id": client_id(client),
        "name": "Pat Owner",
        "username": "pat",
        "password": PASSWORD,
        "language": "en",
        **changes,
    }


async def test_onboarding(
    client: Client, app: web.Application, auth: AuthManager, caplog: pytest.LogCaptureFixture
) -> None:
    status = await client.get("/api/onboarding")
    assert await status.json() == [{"step": "user", "done": False}]
    assert status.headers["Cache-Control"] == "no-store"

    missing = await client.post("/api/onboarding/users", json=owner(client))
    assert missing.status == 401
    wrong = await client.post(
        "/api/onboarding/users", json=owner(client, setup_code="AAAA-BBBB-CCCC")
    )
    assert wrong.status == 401
    assert "setup code" in (await wrong.json())["message"]
    # 'pat' is no user yet: the name is shown as a keyed hash.
    assert re.search(
        r"Login failed for user '#[0-9a-f]{12}' from 127\.0\.0\.1: invalid_setup_code", caplog.text
    )
    assert "'pat'" not in caplog.text
    assert auth.list_users() == []

    code = setup_code(app)
    weak = await client.post(
        "/api/onboarding/users", json=owner(client, setup_code=code, password="pat-password")
    )
    assert weak.status == 400
    assert "username" in (await weak.json())["message"]

    created = await client.post("/api/onboarding/users", json=owner(client, setup_code=code))
    assert created.status == 200
    auth_code = (await created.json())["auth_code"]
    (user,) = auth.list_users()
    assert (user.username, user.name, user.is_owner, user.is_admin) == (
        "pat",
        "Pat Owner",
        True,
        True,
    )
    got = await tokens(client, auth_code)
    api = await client.get("/api/", headers={"Authorization": f"Bearer {got['access_token']}"})
    assert api.status == 200

    again = await client.post(
        "/api/onboarding/users", json=owner(client, setup_code=code, username="eve")
    )
    assert again.status == 403
    assert await (await client.get("/api/onboarding")).json() == [{"step": "user", "done": True}]
    assert code not in str(await again.json())


@pytest.mark.parametrize(
    "changes",
    [{"client_id": "nope"}, {"username": 5}, {"password": None}, {"name": 7}],
)
async def test_bad_requests(
    client: Client, app: web.Application, changes: dict[str, object]
) -> None:
    resp = await client.post(
        "/api/onboarding/users", json=owner(client, setup_code=setup_code(app), **changes)
    )
    assert resp.status == 400
