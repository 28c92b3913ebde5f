"""GET and POST /onboarding: the owner form with the setup code."""

from __future__ import annotations

import pytest
from aiohttp import web

from hearth.auth.manager import AuthManager
from hearth.auth.views import KEY_ONBOARDING

from .conftest import PASSWORD, Client, assert_strict_page


def form(app: web.Application, **changes: str) -> dict[str, str]:
    code = app[KEY_ONBOARDING].setup_code()
    assert code is not None
    return {
        "setup_code": code,
        "name": "Pat",
        "username": "pat",
        "password": PASSWORD,
        "password_again": PASSWORD,
        **changes,
    }


async def test_page(client: Client) -> None:
    resp = await client.get("/onboarding")
    text = await resp.text()
    assert resp.status == 200
    assert_strict_page(text, resp.headers)
    assert 'name="setup_code"' in text
    assert 'autocomplete="new-password"' in text


async def test_create_owner(client: Client, app: web.Application, auth: AuthManager) -> None:
    resp = await client.post("/onboarding", data=form(app))
    text = await resp.text()
    assert resp.status == 200
    assert_strict_page(text, resp.headers)
    assert "Owner created" in text
    assert "/auth/authorize?response_type=code&amp;client_id=" in text
    assert '<a class="button" href="/">Open the dashboard</a>' in text
    (owner,) = auth.list_users()
    assert (owner.username, owner.is_owner) == ("pat", True)
    done = await client.get("/onboarding")
    assert "already has an owner" in await done.text()
    again = await client.post("/onboarding", data={**form_without_code(), "setup_code": "x"})
    assert "already has an owner" in await again.text()
    assert len(auth.list_users()) == 1


def form_without_code() -> dict[str, str]:
    return {"name": "Eve", "username": "eve", "password": PASSWORD, "password_again": PASSWORD}


@pytest.mark.parametrize(
    ("changes", "status", "message"),
    [
        ({"setup_code": "WRONG-CODE-0000"}, 401, "setup code is not valid"),
        ({"password_again": "something else entirely"}, 400, "passwords differ"),
        ({"password": "pat-is-my-name", "password_again": "pat-is-my-name"}, 400, "username"),
        ({"password": "Zq9#kX", "password_again": "Zq9#kX"}, 400, "too short"),
        ({"username": "no spaces allowed"}, 400, "username"),
    ],
)
async def test_refusals_keep_the_form(
    client: Client,
    app: web.Application,
    auth: AuthManager,
    changes: dict[str, str],
    status: int,
    message: str,
) -> None:
    sent = form(app, **changes)
    resp = await client.post("/onboarding", data=sent)
    text = await resp.text()
    assert resp.status == status
    assert message in text
    assert f'value="{sent["password"]}"' not in text
    assert sent["password"] not in text.replace("passwords differ", "")
    assert 'value="Pat"' in text  # what was typed (never the password) is kept
    assert auth.list_users() == []


async def test_typed_values_are_escaped(client: Client, app: web.Application) -> None:
    attack = '"><script>alert(1)</script>'
    resp = await client.post("/onboarding", data=form(app, name=attack, setup_code="nope"))
    text = await resp.text()
    assert "<script>alert" not in text
    assert "&quot;&gt;&lt;script&gt;" in text
