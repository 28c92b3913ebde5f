"""Local network only by default; remote access only over TLS or through a trusted proxy."""

from __future__ import annotations

import logging
from ipaddress import ip_address
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from hearth.config.schema import Config, HttpSection
from hearth.exceptions import ConfigError
from hearth.http.forwarded import forwarded_relay
from hearth.http.gate import request_gate
from hearth.http.keys import REQ_CLIENT_IP
from hearth.http.network_guard import (
    LOCAL_ONLY_MESSAGE,
    PROXY_ONLY_MESSAGE,
    check_remote_access,
    network_guard,
)
from hearth.http.view import client_ip
from tests.conftest import AiohttpClient

Client = TestClient[Any, Any]
PROXY = {"use_x_forwarded_for": True, "trusted_proxies": ["127.0.0.1"]}
TLS = {"ssl_certificate": "cert.pem", "ssl_key": "key.pem"}  # not read: no config dir given


def _config(**http: Any) -> Config:
    return Config(http=HttpSection.model_validate(http))


# --- the start-up check -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "http",
    [
        {},
        {"remote_access": False},
        {"remote_access": True, **TLS},
        {"remote_access": True, **PROXY},
        {"remote_access": True, **PROXY, **TLS},
    ],
)
def test_start_allowed(http: dict[str, Any]) -> None:
    check_remote_access(_config(**http))


@pytest.mark.parametrize(
    "http",
    [
        {"remote_access": True},
        # Proxies listed, but their X-Forwarded-For is ignored: every remote client would be
        # served in cleartext straight from the hub.
        {"remote_access": True, "trusted_proxies": ["127.0.0.1"]},
    ],
)
def test_remote_access_without_encryption_refuses_to_start(http: dict[str, Any]) -> None:
    with pytest.raises(ConfigError) as info:
        check_remote_access(_config(**http))
    assert info.value.key == "http.remote_access"
    assert str(info.value).startswith("configuration.yaml: http.remote_access: remote access ")
    assert "\n" not in str(info.value)


# --- the check, in a gate -------------------------------------------------------------------


async def _whoami(request: web.Request) -> web.Response:
    return web.json_response({"client": str(client_ip(request))})


def _pretend(address: str | None) -> Any:
    """Stand-in for a direct connection from `address` (the test client is on loopback)."""

    def pretend(request: web.Request) -> None:
        if address is not None:
            request[REQ_CLIENT_IP] = ip_address(address)

    return pretend


async def _client(
    aiohttp_client: AiohttpClient, config: Config, direct_from: str | None = None
) -> Client:
    guard = network_guard(config)
    checks = [_pretend(direct_from), guard]
    gate = request_gate(
        forwarded=forwarded_relay(config.http),
        checks=[check for check in checks if check is not None],
    )
    app = web.Application(middlewares=[gate])
    app.router.add_get("/", _whoami)
    return await aiohttp_client(app)


@pytest.mark.parametrize(
    ("forwarded_for", "extra_local", "status"),
    [
        (None, [], 200),  # loopback itself
        ("192.168.1.20", [], 200),
        ("10.9.8.7", [], 200),
        ("100.64.1.1", [], 200),
        ("fd00::5", [], 200),
        ("fe80::1", [], 200),
        ("203.0.113.5", [], 403),
        ("2001:db8::1", [], 403),
        ("8.8.8.8, 192.168.1.20", [], 200),  # the right-most untrusted address decides
        ("192.168.1.20, 8.8.8.8", [], 403),
        ("203.0.113.5", ["203.0.113.0/24"], 200),
    ],
)
async def test_local_only_by_default(
    aiohttp_client: AiohttpClient, forwarded_for: str | None, extra_local: list[str], status: int
) -> None:
    client = await _client(aiohttp_client, _config(**PROXY, local_networks=extra_local))
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    resp = await client.get("/", headers=headers)
    assert resp.status == status
    if status == 403:
        assert await resp.json() == {"message": LOCAL_ONLY_MESSAGE}


async def test_refusal_explains_how_to_enable_and_logs_once(
    aiohttp_client: AiohttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    client = await _client(aiohttp_client, _config(**PROXY))
    with caplog.at_level(logging.WARNING, logger="hearth.http.network_guard"):
        for _ in range(3):
            resp = await client.get("/", headers={"X-Forwarded-For": "203.0.113.5"})
            assert resp.status == 403
    message = (await resp.json())["message"]
    assert "`remote_access: true`" in message
    assert "203.0.113.5" not in message
    assert [r.getMessage() for r in caplog.records] == [
        "Refused a request from 203.0.113.5: not on a local network and http.remote_access is off"
    ]


async def test_remote_access_serves_clients_through_the_proxy(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await _client(aiohttp_client, _config(remote_access=True, **PROXY))
    resp = await client.get("/", headers={"X-Forwarded-For": "203.0.113.5"})
    assert resp.status == 200
    assert await resp.json() == {"client": "203.0.113.5"}


async def test_remote_access_without_tls_refuses_direct_remote_clients(
    aiohttp_client: AiohttpClient,
) -> None:
    """A remote client that goes around the proxy would talk to the hub in cleartext."""
    config = _config(remote_access=True, use_x_forwarded_for=True, trusted_proxies=["192.168.1.2"])
    direct = await _client(aiohttp_client, config, direct_from="203.0.113.5")
    resp = await direct.get("/")
    assert resp.status == 403
    assert await resp.json() == {"message": PROXY_ONLY_MESSAGE}
    local = await _client(aiohttp_client, config, direct_from="192.168.1.30")
    assert (await local.get("/")).status == 200


async def test_remote_access_with_tls_serves_everyone(aiohttp_client: AiohttpClient) -> None:
    config = _config(remote_access=True, **TLS)
    assert network_guard(config) is None
    client = await _client(aiohttp_client, config, direct_from="203.0.113.5")
    assert (await client.get("/")).status == 200
