"""Helpers for the ban tests: hubs with `http:` ban settings, requests from chosen loopback IPs."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.acceptance.support import (
    HOST,
    HttpReply,
    HubFactory,
    RunningHub,
    request,
)

# Linux routes all of 127.0.0.0/8 to the loopback interface: a client can pick its source
# address there, so one test machine plays several clients without any proxy.
ATTACKER = "127.0.0.2"
BYSTANDER = "127.0.0.3"
PROPAGATION_TIMEOUT = 5.0

StartHub = Callable[..., RunningHub]


@pytest.fixture(name="start_ban_hub")
def start_ban_hub_fixture(hub_factory: HubFactory) -> StartHub:
    """Start hubs with ban settings; `start(http_extra, restart=hub)` restarts one in place."""

    def start(http_extra: str = "", *, restart: RunningHub | None = None) -> RunningHub:
        return hub_factory(http_extra=http_extra, restart=restart)

    return start


def call(
    hub: RunningHub,
    path: str = "/api/states",
    *,
    method: str = "GET",
    token: str | None = None,
    source: str = HOST,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> HttpReply:
    """One request from the loopback address `source`."""
    return request(hub, method, path, token=token, body=body, headers=headers, source=source)


def wait_for(check: Callable[[], bool], what: str, timeout: float = PROPAGATION_TIMEOUT) -> None:
    """Poll until `check()` holds; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


def bans_listed(hub: RunningHub) -> list[dict[str, Any]]:
    """GET /api/bans as the admin, from 127.0.0.1."""
    reply = call(hub, "/api/bans", token=hub.token)
    assert reply.status == 200, reply
    listed: list[dict[str, Any]] = json.loads(reply.body)
    return listed


def failure_lines(hub: RunningHub, ip: str) -> list[str]:
    """The hub's failure log lines for one client address."""
    return [
        line
        for line in hub.log().splitlines()
        if "Login failed for user " in line and f" from {ip}: " in line
    ]
