"""Every error is JSON with the right status; internals never reach the client."""

from __future__ import annotations

import io
import logging
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from hearth import const

Client = TestClient[Any, Any]


@pytest.fixture
def auth_headers(user_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {user_token}"}


async def test_hearth_error_maps_to_status(
    http_client: Client, auth_headers: dict[str, str]
) -> None:
    resp = await http_client.get("/bad", headers=auth_headers)
    assert resp.status == 400
    assert await resp.json() == {"message": "That will not do."}


async def test_unexpected_error_is_500_without_details(
    http_client: Client, auth_headers: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="hearth.http.errors"):
        resp = await http_client.get("/crash", headers=auth_headers)
    assert resp.status == 500
    text = await resp.text()
    assert text == '{"message":"Internal error."}'
    assert "secret internal detail" not in text
    assert "Unhandled error for GET '/crash'" in caplog.text


async def test_method_not_allowed_keeps_allow_header(http_client: Client) -> None:
    resp = await http_client.delete("/open")
    assert resp.status == 405
    assert resp.headers["Allow"] == "GET,HEAD"
    assert (await resp.json())["message"] == "Method Not Allowed"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "Request body is empty; expected JSON."),
        (b"{not json", "Invalid JSON in request body."),
        (b"[1, 2]", "Request body must be a JSON object."),
        (b'"text"', "Request body must be a JSON object."),
        (b"\xff\xfe", "Invalid JSON in request body."),
    ],
)
async def test_bad_json_is_400(
    http_client: Client, auth_headers: dict[str, str], body: bytes, message: str
) -> None:
    resp = await http_client.post("/echo", data=body, headers=auth_headers)
    assert resp.status == 400
    assert await resp.json() == {"message": message}


async def test_oversized_body_is_413(http_client: Client, auth_headers: dict[str, str]) -> None:
    body = b'{"a": "' + b"x" * const.MAX_REQUEST_BODY + b'"}'
    resp = await http_client.post("/echo", data=io.BytesIO(body), headers=auth_headers)
    assert resp.status == 413
    assert resp.content_type == "application/json"


async def test_body_just_under_the_limit_is_accepted(
    http_client: Client, auth_headers: dict[str, str]
) -> None:
    body = b'{"a": "' + b"x" * (const.MAX_REQUEST_BODY - 100) + b'"}'
    resp = await http_client.post("/echo", data=io.BytesIO(body), headers=auth_headers)
    assert resp.status == 200
