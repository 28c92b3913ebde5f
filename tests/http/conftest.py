"""An application with only the HTTP layer and a few probe routes, over the real auth store."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from hearth import const
from hearth.auth.manager import AuthManager
from hearth.exceptions import BadRequest
from hearth.http.auth import check_auth
from hearth.http.gate import request_gate
from hearth.http.headers import setup_headers
from hearth.http.keys import KEY_AUTH
from hearth.http.lowlevel import install as harden_aiohttp
from hearth.http.view import admin_only, current_user, json_response, public, read_json_object
from tests.conftest import AiohttpClient


@public
async def open_view(_request: web.Request) -> web.Response:
    return json_response({"open": True})


async def private_view(request: web.Request) -> web.Response:
    return json_response({"user": current_user(request).username})


@admin_only
async def admin_view(request: web.Request) -> web.Response:
    return json_response({"admin": current_user(request).username})


async def echo_view(request: web.Request) -> web.Response:
    return json_response(await read_json_object(request))


async def bad_view(_request: web.Request) -> web.Response:
    raise BadRequest("That will not do.")


async def crash_view(_request: web.Request) -> web.Response:
    raise RuntimeError("secret internal detail")


@pytest.fixture
def http_app(auth: AuthManager) -> web.Application:
    """The gate with the auth check, with probe routes."""
    harden_aiohttp()
    app = web.Application(
        middlewares=[request_gate(checks=[check_auth])], client_max_size=const.MAX_REQUEST_BODY
    )
    app[KEY_AUTH] = auth
    setup_headers(app)
    app.router.add_get("/open", open_view)
    app.router.add_get("/private", private_view)
    app.router.add_get("/admin", admin_view)
    app.router.add_post("/echo", echo_view)
    app.router.add_get("/bad", bad_view)
    app.router.add_get("/crash", crash_view)
    return app


@pytest.fixture
async def http_client(
    aiohttp_client: AiohttpClient, http_app: web.Application
) -> TestClient[web.Request, web.Application]:
    """A client for the probe application."""
    return await aiohttp_client(http_app)
