"""The real client address: X-Forwarded-* believed from trusted proxies only, fail closed."""

from __future__ import annotations

import logging
from ipaddress import ip_address
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from hearth.config.schema import HttpSection
from hearth.http.forwarded import ForwardedError, forwarded_relay, resolve, valid_host
from hearth.http.gate import request_gate
from hearth.http.network import NetworkSet, parse_networks
from hearth.http.view import client_ip
from tests.conftest import AiohttpClient

Client = TestClient[Any, Any]
XFF = "X-Forwarded-For"
XFP = "X-Forwarded-Proto"
XFH = "X-Forwarded-Host"
LOOPBACK_PROXY = HttpSection(use_x_forwarded_for=True, trusted_proxies=["127.0.0.1"])
TRUSTED = NetworkSet(parse_networks(["127.0.0.1", "10.0.0.0/8"]))


# --- resolve(): pure, table-driven ------------------------------------------------------------


@pytest.mark.parametrize(
    ("xff", "client"),
    [
        ("203.0.113.5", "203.0.113.5"),
        (" 203.0.113.5 ", "203.0.113.5"),
        ("198.51.100.1, 203.0.113.5", "203.0.113.5"),  # right-most untrusted wins
        ("203.0.113.5, 10.0.0.2", "203.0.113.5"),  # trusted hops are skipped
        ("203.0.113.5,10.0.0.2,127.0.0.1", "203.0.113.5"),
        ("1.1.1.1, 203.0.113.5, 10.0.0.2", "203.0.113.5"),  # forged left part is ignored
        ("10.0.0.3, 10.0.0.2", "10.0.0.3"),  # only proxies: the left-most is the client
        ("2001:db8::1", "2001:db8::1"),
        ("::ffff:203.0.113.5", "203.0.113.5"),
        (", ".join(["10.0.0.1"] * 31 + ["203.0.113.5"]), "203.0.113.5"),  # 32 hops is fine
    ],
)
def test_client_is_the_rightmost_untrusted_address(xff: str, client: str) -> None:
    assert resolve(TRUSTED, [xff], [], []).client == ip_address(client)


@pytest.mark.parametrize(
    ("xff", "problem"),
    [
        (["1.2.3.4", "5.6.7.8"], "Multiple X-Forwarded-For headers."),
        ([""], "Empty entry in X-Forwarded-For."),
        (["  "], "Empty entry in X-Forwarded-For."),
        (["1.2.3.4,,5.6.7.8"], "Empty entry in X-Forwarded-For."),
        (["1.2.3.4,"], "Empty entry in X-Forwarded-For."),
        (["not-an-ip"], "Invalid address in X-Forwarded-For."),
        (["unknown"], "Invalid address in X-Forwarded-For."),
        (["1.2.3.4:80"], "Invalid address in X-Forwarded-For."),
        (["[2001:db8::1]"], "Invalid address in X-Forwarded-For."),
        (["1.2.3.4 5.6.7.8"], "Invalid address in X-Forwarded-For."),
        (["999.1.1.1"], "Invalid address in X-Forwarded-For."),
        ([", ".join(["10.0.0.1"] * 33)], "Too many entries in X-Forwarded-For."),
        ([",".join(["1.1.1.1"] * 2000)], "Too many entries in X-Forwarded-For."),
    ],
)
def test_malformed_forwarded_for(xff: list[str], problem: str) -> None:
    with pytest.raises(ForwardedError) as info:
        resolve(TRUSTED, xff, [], [])
    assert str(info.value) == problem


@pytest.mark.parametrize(
    ("xff", "xfp", "scheme"),
    [
        ("203.0.113.5", ["https"], "https"),
        ("203.0.113.5", ["HTTP"], "http"),
        ("203.0.113.5, 10.0.0.2", ["https"], "https"),  # one value for the whole chain
        ("203.0.113.5, 10.0.0.2", ["https, http"], "https"),  # the client's own hop
        ("10.0.0.3, 203.0.113.5, 10.0.0.2", ["http, https, http"], "https"),
    ],
)
def test_forwarded_proto(xff: str, xfp: list[str], scheme: str) -> None:
    assert resolve(TRUSTED, [xff], xfp, []).scheme == scheme


@pytest.mark.parametrize(
    ("xff", "xfp", "problem"),
    [
        ("203.0.113.5", ["https", "https"], "Multiple X-Forwarded-Proto headers."),
        ("203.0.113.5", [""], "Empty entry in X-Forwarded-Proto."),
        ("203.0.113.5", ["ftp"], "Invalid X-Forwarded-Proto."),
        ("203.0.113.5", ["https;x"], "Invalid X-Forwarded-Proto."),
        (
            "203.0.113.5, 10.0.0.2",
            ["https, http, http"],
            "X-Forwarded-Proto does not match X-Forwarded-For.",
        ),
    ],
)
def test_malformed_forwarded_proto(xff: str, xfp: list[str], problem: str) -> None:
    with pytest.raises(ForwardedError) as info:
        resolve(TRUSTED, [xff], xfp, [])
    assert str(info.value) == problem


@pytest.mark.parametrize(
    "host",
    [
        "example.com",
        "example.com.",
        "hearth.local:8123",
        "my_host",
        "192.168.1.5",
        "192.168.1.5:443",
        "[::1]",
        "[2001:db8::1]:8443",
        "a" * 63 + ".example",
    ],
)
def test_valid_forwarded_host(host: str) -> None:
    assert valid_host(host)
    assert resolve(TRUSTED, ["203.0.113.5"], [], [host]).host == host


@pytest.mark.parametrize(
    "host",
    [
        "",
        ":8123",
        "example.com:",
        "example.com:0",
        "example.com:65536",
        "example.com:http",
        "example.com:" + "9" * 5000,
        "example.com:008080",
        "[1.2.3.4]",
        "[::1]:",
        "[::1]:99999",
        "exa mple.com",
        "a.com,b.com",
        "user@example.com",
        "example.com/path",
        "[::1",
        "[::1]x",
        "[nope]:80",
        "::1",
        "a" * 64 + ".example",
        "a." * 130 + "com",
        "example..com",
        "ex\u00e4mple.com",
    ],
)
def test_malformed_forwarded_host(host: str) -> None:
    assert not valid_host(host)
    with pytest.raises(ForwardedError):
        resolve(TRUSTED, ["203.0.113.5"], [], [host])


def test_multiple_forwarded_host_headers() -> None:
    with pytest.raises(ForwardedError, match="Multiple X-Forwarded-Host headers"):
        resolve(TRUSTED, ["203.0.113.5"], [], ["a.example", "b.example"])


# --- the forwarded step, in the gate of a bare application -----------------------------------


async def _whoami(request: web.Request) -> web.Response:
    return web.json_response(
        {
            "client": str(client_ip(request)),
            "remote": request.remote,
            "scheme": request.scheme,
            "host": request.host,
        }
    )


async def _client(aiohttp_client: AiohttpClient, http: HttpSection) -> Client:
    app = web.Application(middlewares=[request_gate(forwarded=forwarded_relay(http))])
    app.router.add_get("/", _whoami)
    return await aiohttp_client(app)


async def test_no_forwarded_headers_means_the_peer(aiohttp_client: AiohttpClient) -> None:
    for http in (HttpSection(), LOOPBACK_PROXY):
        client = await _client(aiohttp_client, http)
        data = await (await client.get("/")).json()
        assert data["client"] == "127.0.0.1"


async def test_trusted_proxy_reports_the_client(aiohttp_client: AiohttpClient) -> None:
    client = await _client(aiohttp_client, LOOPBACK_PROXY)
    resp = await client.get(
        "/",
        headers={XFF: "198.51.100.1, 203.0.113.5", XFP: "https", XFH: "hub.example.com"},
    )
    assert resp.status == 200
    assert await resp.json() == {
        "client": "203.0.113.5",
        "remote": "203.0.113.5",
        "scheme": "https",
        "host": "hub.example.com",
    }


async def test_trusted_proxy_without_forwarded_for_is_the_client(
    aiohttp_client: AiohttpClient,
) -> None:
    """X-Forwarded-Proto alone from the proxy (its own health check) changes nothing."""
    client = await _client(aiohttp_client, LOOPBACK_PROXY)
    data = await (await client.get("/", headers={XFP: "https"})).json()
    assert data["client"] == "127.0.0.1"
    assert data["scheme"] == "http"


@pytest.mark.parametrize("header", [XFF, XFP, XFH])
@pytest.mark.parametrize(
    ("http", "advice"),
    [
        (
            HttpSection(),
            "Refused a request from 127.0.0.1 carrying {header}: reverse-proxy support is off. "
            "If 127.0.0.1 is your reverse proxy, set `use_x_forwarded_for: true` and add "
            "127.0.0.1 to `trusted_proxies` under `http:` in configuration.yaml",
        ),
        (
            HttpSection(use_x_forwarded_for=True, trusted_proxies=["10.0.0.0/8"]),
            "Refused a request from 127.0.0.1 carrying {header}: 127.0.0.1 is not in `http: "
            "trusted_proxies`. If it is your reverse proxy, add it there",
        ),
        (
            # Trusted, but reverse-proxy support is off: still a refusal with the advice.
            HttpSection(trusted_proxies=["127.0.0.1"]),
            "set `use_x_forwarded_for: true`",
        ),
    ],
)
async def test_forwarded_headers_from_untrusted_peer_are_400(
    aiohttp_client: AiohttpClient,
    caplog: pytest.LogCaptureFixture,
    http: HttpSection,
    advice: str,
    header: str,
) -> None:
    client = await _client(aiohttp_client, http)
    value = {XFF: "203.0.113.5", XFP: "https", XFH: "example.com"}[header]
    with caplog.at_level(logging.WARNING, logger="hearth.http.forwarded"):
        resp = await client.get("/", headers={header: value})
        again = await client.get("/", headers={header: value})
    assert resp.status == 400
    assert again.status == 400
    assert await resp.json() == {"message": "Forwarded headers are not accepted from this address."}
    assert advice.format(header=header) in caplog.text
    # One warning per peer, not one per request: refused requests cannot flood the log.
    assert len(caplog.records) == 1


@pytest.mark.parametrize(
    "headers",
    [
        [(XFF, "nonsense")],
        [(XFF, "1.2.3.4"), (XFF, "5.6.7.8")],
        [(XFF, "")],
        [(XFF, "1.2.3.4"), (XFP, "gopher")],
        [(XFF, "1.2.3.4"), (XFP, "https"), (XFP, "https")],
        [(XFF, "1.2.3.4"), (XFH, "bad host")],
        [(XFF, "1.2.3.4"), (XFH, "a.example"), (XFH, "b.example")],
    ],
)
async def test_malformed_headers_from_trusted_proxy_are_400(
    aiohttp_client: AiohttpClient, headers: list[tuple[str, str]]
) -> None:
    client = await _client(aiohttp_client, LOOPBACK_PROXY)
    resp = await client.get("/", headers=headers)
    assert resp.status == 400
    message = (await resp.json())["message"]
    assert "X-Forwarded-" in message
    for _, value in headers:  # the response never echoes what was sent
        if value:
            assert value not in message


@pytest.mark.parametrize(
    "headers",
    [{XFP: ""}, {XFP: " "}, {XFP: "ftp"}, {XFH: ""}, {XFH: "bad host"}, {XFP: "https, http"}],
)
async def test_trusted_proxy_without_forwarded_for_must_still_be_well_formed(
    aiohttp_client: AiohttpClient, headers: dict[str, str]
) -> None:
    """An empty X-Forwarded-Proto from the proxy itself used to pass unchecked."""
    client = await _client(aiohttp_client, LOOPBACK_PROXY)
    resp = await client.get("/", headers=headers)
    assert resp.status == 400
    assert "X-Forwarded" in (await resp.json())["message"]
