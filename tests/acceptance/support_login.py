"""Helpers for the login acceptance tests: HA-style login over HTTP, hubs without users."""

from __future__ import annotations

import json
import re
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.support import (
    PASSWORD,
    USERNAME,
    HttpReply,
    RunningHub,
    free_port,
    request,
    start_hub,
    wait_listening,
    write_config,
)

SETUP_CODE = re.compile(r"setup code:?\s+([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})")


def origin(hub: RunningHub) -> str:
    return hub.base_url


def frontend_client(hub: RunningHub) -> tuple[str, str]:
    """client_id and redirect_uri exactly as Home Assistant's frontend sends them."""
    return f"{origin(hub)}/", f"{origin(hub)}/?auth_callback=1"


def post_json(
    hub: RunningHub, path: str, body: dict[str, Any], *, source: str | None = None
) -> HttpReply:
    return request(hub, "POST", path, body=json.dumps(body).encode(), source=source)


def post_form(hub: RunningHub, path: str, fields: dict[str, str]) -> HttpReply:
    return request(
        hub,
        "POST",
        path,
        body=urllib.parse.urlencode(fields).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


def begin_flow(hub: RunningHub, *, source: str | None = None) -> dict[str, Any]:
    """Start a login flow (from the loopback address `source`, if given)."""
    client_id, redirect_uri = frontend_client(hub)
    reply = post_json(
        hub,
        "/auth/login_flow",
        {"client_id": client_id, "handler": ["homeassistant", None], "redirect_uri": redirect_uri},
        source=source,
    )
    assert reply.status == 200, reply
    body: dict[str, Any] = reply.json()
    return body


def flow_step(
    hub: RunningHub, flow_id: str, *, source: str | None = None, **fields: str
) -> HttpReply:
    """Submit a step of a flow (from the address that began it)."""
    client_id, _ = frontend_client(hub)
    return post_json(
        hub, f"/auth/login_flow/{flow_id}", {"client_id": client_id, **fields}, source=source
    )


def log_in(hub: RunningHub, username: str = USERNAME, password: str = PASSWORD) -> str:
    """The frontend's login: providers, flow, credentials; returns the authorization code."""
    providers = request(hub, "GET", "/auth/providers")
    assert providers.status == 200, providers
    flow = begin_flow(hub)
    reply = flow_step(hub, flow["flow_id"], username=username, password=password)
    assert reply.status == 200, reply
    result = reply.json()
    assert result["type"] == "create_entry", result
    code: str = result["result"]
    return code


def exchange(hub: RunningHub, code: str) -> dict[str, Any]:
    client_id, _ = frontend_client(hub)
    reply = post_form(
        hub,
        "/auth/token",
        {"grant_type": "authorization_code", "client_id": client_id, "code": code},
    )
    assert reply.status == 200, reply
    assert reply.headers.get("cache-control") == "no-store", reply.headers
    body: dict[str, Any] = reply.json()
    return body


def wait_for_setup_code(log_path: Path, timeout: float = 10.0) -> str:
    """The setup code the hub printed, read from its console output."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = SETUP_CODE.search(log_path.read_text(encoding="utf-8", errors="replace"))
        if match:
            return match.group(1)
        time.sleep(0.1)
    pytest.fail("the hub printed no setup code:\n" + log_path.read_text(errors="replace"))


def fresh_hub(tmp_path: Path, extra_config: str = "") -> Iterator[RunningHub]:
    """A hub started on a directory without any user (what a new install looks like)."""
    config_dir = tmp_path / "fresh"
    port = free_port()
    write_config(config_dir, port, extra_config)
    log_path = tmp_path / "fresh.log"
    process = start_hub(config_dir, port, log_path)
    running = RunningHub(config_dir, port, "", process, log_path)
    try:
        wait_listening(process, port, log_path)
        yield running
    finally:
        code = running.stop()
        assert code == 0, running.log()
        running.assert_clean_log()


def started_hub(
    tmp_path: Path, template: tuple[Path, str], name: str, http_extra: str = ""
) -> Iterator[RunningHub]:
    """A copy of the template hub with extra `http:` lines (e.g. bans off for load tests)."""
    import shutil

    template_dir, token = template
    config_dir = tmp_path / name
    shutil.copytree(template_dir, config_dir)
    port = free_port()
    write_config(config_dir, port)
    path = config_dir / "configuration.yaml"
    path.write_text(path.read_text().replace("http:\n", "http:\n" + http_extra, 1))
    log_path = tmp_path / f"{name}.log"
    process = start_hub(config_dir, port, log_path)
    running = RunningHub(config_dir, port, token, process, log_path)
    try:
        wait_listening(process, port, log_path)
        yield running
    finally:
        code = running.stop()
        assert code == 0, running.log()
        running.assert_clean_log()
