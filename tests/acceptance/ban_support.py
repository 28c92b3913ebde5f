"""Helpers for the ban tests: hubs with `http:` ban settings, requests from chosen loopback IPs."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.support import (
    HOST,
    HttpReply,
    RunningHub,
    free_port,
    request,
    start_hub,
    wait_listening,
)

# Linux routes all of 127.0.0.0/8 to the loopback interface: a client can pick its source
# address there, so one test machine plays several clients without any proxy.
ATTACKER = "127.0.0.2"
BYSTANDER = "127.0.0.3"
PROPAGATION_TIMEOUT = 5.0

StartHub = Callable[..., RunningHub]


def write_ban_config(config_dir: Path, port: int, http_extra: str = "") -> None:
    """A demo hub on 127.0.0.1:port with extra `http:` keys (each line indented two spaces)."""
    (config_dir / "configuration.yaml").write_text(
        "homeassistant:\n"
        "  name: Ban Home\n"
        "  time_zone: Europe/Amsterdam\n"
        "http:\n"
        f"  server_host: [{HOST!r}]\n"
        f"  server_port: {port}\n" + http_extra + "demo:\n"
        "  lights: 1\n"
        "  switches: 1\n"
        "  sensors: 1\n",
        encoding="utf-8",
    )


@pytest.fixture(name="start_ban_hub")
def start_ban_hub_fixture(tmp_path: Path, hub_template: tuple[Path, str]) -> Iterator[StartHub]:
    """Start hubs with ban settings; `start(http_extra, restart=hub)` restarts one in place."""
    started: list[RunningHub] = []
    template_dir, token = hub_template

    def start(http_extra: str = "", *, restart: RunningHub | None = None) -> RunningHub:
        if restart is None:
            config_dir = tmp_path / f"config{len(started)}"
            shutil.copytree(template_dir, config_dir)
            port = free_port()
            write_ban_config(config_dir, port, http_extra)
        else:
            assert restart.stop() == 0, restart.log()
            config_dir, port = restart.config_dir, restart.port
        log_path = tmp_path / f"hub{len(started)}.log"
        process = start_hub(config_dir, port, log_path)
        running = RunningHub(config_dir, port, token, process, log_path)
        started.append(running)
        wait_listening(process, port, log_path)
        return running

    yield start

    failures = []
    for running in started:
        if running.process.poll() is None:
            code = running.stop()
            if code != 0:
                failures.append(f"hub exited with {code} on SIGTERM:\n{running.log()}")
        elif not running.stopped:
            failures.append(f"hub died ({running.process.returncode}):\n{running.log()}")
        try:
            running.assert_clean_log()
        except AssertionError as err:
            failures.append(str(err))
    assert not failures, "\n\n".join(failures)


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
