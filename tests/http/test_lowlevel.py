"""aiohttp's replies before any middleware runs: the Expect header."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from hearth.http.lowlevel import install
from hearth.http.view import json_response
from tests.conftest import AiohttpClient

Client = TestClient[web.Request, web.Application]


async def hello(_request: web.Request) -> web.Response:
    return json_response({"hello": True})


@pytest.fixture
async def client(aiohttp_client: AiohttpClient) -> Client:
    install()  # before the routes are made: they take the Expect handler when created
    app = web.Application()
    app.router.add_post("/", hello)
    return await aiohttp_client(app)


async def test_100_continue_still_works(client: Client) -> None:
    response = await client.post("/", data=b"x", expect100=True)
    assert response.status == 200
    assert await response.json() == {"hello": True}


@pytest.mark.parametrize("expect", ["chunked", "100-continue, x", "<script>"])
async def test_other_expectations_get_a_fixed_json_417(client: Client, expect: str) -> None:
    response = await client.post("/", data=b"x", headers={"Expect": expect})
    assert response.status == 417
    assert response.content_type == "application/json"
    assert expect not in await response.text()
    assert (await response.json())["message"]
