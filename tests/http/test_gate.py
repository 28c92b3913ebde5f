"""The gate: the checks run in order, the first refusal is the answer, failures become JSON."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hearth.exceptions import PermissionDenied
from hearth.http.errors import error_response
from hearth.http.gate import Check, request_gate
from tests.conftest import AiohttpClient


def _recording(name: str, calls: list[str], refuse: bool = False) -> Check:
    def check(request: web.Request) -> web.StreamResponse | None:
        calls.append(name)
        return error_response(418, name) if refuse else None

    return check


async def _view(request: web.Request) -> web.Response:
    return web.json_response({"host": request.host, "scheme": request.scheme})


async def _redirect(_request: web.Request) -> web.Response:
    raise web.HTTPFound("/elsewhere")


async def _client(aiohttp_client: AiohttpClient, gate: Any) -> Any:
    app = web.Application(middlewares=[gate])
    app.router.add_get("/", _view)
    app.router.add_get("/redirect", _redirect)
    return await aiohttp_client(app)


async def test_checks_run_in_order_and_stop_at_the_first_refusal(
    aiohttp_client: AiohttpClient,
) -> None:
    calls: list[str] = []
    gate = request_gate(
        target=_recording("target", calls),
        forwarded=lambda request: calls.append("forwarded") or request,
        checks=[
            _recording("first", calls),
            _recording("second", calls, refuse=True),
            _recording("third", calls),
        ],
    )
    client = await _client(aiohttp_client, gate)
    resp = await client.get("/")
    assert resp.status == 418
    assert await resp.json() == {"message": "second"}
    assert calls == ["target", "forwarded", "first", "second"]


async def test_a_refusing_target_check_stops_everything(aiohttp_client: AiohttpClient) -> None:
    calls: list[str] = []
    gate = request_gate(
        target=_recording("target", calls, refuse=True),
        forwarded=lambda request: calls.append("forwarded") or request,
        checks=[_recording("first", calls)],
    )
    client = await _client(aiohttp_client, gate)
    assert (await client.get("/")).status == 418
    assert calls == ["target"]


async def test_the_relayed_request_is_what_later_checks_and_the_view_see(
    aiohttp_client: AiohttpClient,
) -> None:
    seen: list[str] = []

    def relay(request: web.Request) -> web.Request:
        return request.clone(host="hub.example.com", scheme="https")

    def check(request: web.Request) -> None:
        seen.append(request.host)

    client = await _client(aiohttp_client, request_gate(forwarded=relay, checks=[check]))
    resp = await client.get("/")
    assert await resp.json() == {"host": "hub.example.com", "scheme": "https"}
    assert seen == ["hub.example.com"]


async def test_a_check_that_raises_gets_a_json_error(aiohttp_client: AiohttpClient) -> None:
    def denied(_request: web.Request) -> None:
        raise PermissionDenied("No.")

    def broken(_request: web.Request) -> None:
        raise RuntimeError("internal detail")

    client = await _client(aiohttp_client, request_gate(checks=[denied]))
    resp = await client.get("/")
    assert (resp.status, await resp.json()) == (403, {"message": "No."})
    client = await _client(aiohttp_client, request_gate(checks=[broken]))
    resp = await client.get("/")
    assert resp.status == 500
    assert "internal detail" not in await resp.text()


async def test_redirects_and_missing_routes(aiohttp_client: AiohttpClient) -> None:
    client = await _client(aiohttp_client, request_gate())
    resp = await client.get("/redirect", allow_redirects=False)
    assert resp.status == 302
    assert resp.headers["Location"] == "/elsewhere"
    missing = await client.get("/nowhere")
    assert (missing.status, await missing.json()) == (404, {"message": "Not Found"})
