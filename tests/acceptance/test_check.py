"""`hearth check` against real running hubs: the start-up line, the probe, the admin API."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from hearth.certs.authority import Hosts, write_self_signed
from tests.acceptance.support import (
    HOST,
    HubFactory,
    RunningHub,
    free_port,
    hearth,
    request,
    write_config,
)

pytestmark = pytest.mark.acceptance

SCHEMA = json.loads((Path(__file__).parents[2] / "docs" / "check-report.schema.json").read_text())
SUMMARY = "hearth check: "


def summary_lines(hub: RunningHub, *, wait: float = 10.0) -> list[str]:
    """The hub's `hearth check:` log lines, once the first has appeared (bounded wait)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        lines = [line for line in hub.log().splitlines() if SUMMARY in line]
        if lines:
            return lines
        time.sleep(0.1)
    return []


def check(config_dir: Path, *args: str) -> dict[str, Any]:
    done = hearth(config_dir, "check", "--json", "--offline", *args)
    assert done.returncode in (0, 1), done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    jsonschema.validate(data, SCHEMA)
    return data


def probe_result(data: dict[str, Any]) -> tuple[str, list[str]]:
    (result,) = [c for c in data["checks"] if c["id"] == "probe"]
    return result["status"], sorted(f["id"] for f in data["findings"] if f["check"] == "probe")


def test_one_startup_line_the_probe_and_the_admin_api(hub: RunningHub) -> None:
    lines = summary_lines(hub)
    assert len(lines) == 1, hub.log()
    assert lines[0].endswith("run 'hearth check' for details") or lines[0].endswith(
        "no failures or warnings"
    )
    data = check(hub.config_dir, "--probe")
    assert probe_result(data) == ("pass", [])
    reply = request(hub, "GET", "/api/hearth/check?offline=1&probe=1", token=hub.token)
    assert reply.status == 200
    data = reply.json()
    jsonschema.validate(data, SCHEMA)
    assert data["source"] == "hub"
    assert probe_result(data) == ("pass", [])  # the hub probed itself on loopback
    assert [line for line in hub.log().splitlines() if SUMMARY in line] == lines  # never more
    process = next(c for c in data["checks"] if c["id"] == "process")
    assert process["status"] in ("pass", "fail")


@pytest.mark.parametrize("profile", ["modern", "intermediate"])
def test_probe_over_tls(tmp_path: Path, hub_factory: HubFactory, profile: str) -> None:
    issued = write_self_signed(
        tmp_path / "tls", Hosts.parse(["localhost", HOST]), now=datetime.now(UTC), new_ca=True
    )
    hub = hub_factory(
        http_extra=f"  ssl_certificate: {issued.certificate}\n  ssl_key: {issued.key}\n"
        f"  ssl_profile: {profile}\n"
    )
    assert probe_result(check(hub.config_dir, "--probe")) == ("pass", [])
    assert len(summary_lines(hub)) == 1


class _Careless(BaseHTTPRequestHandler):
    """What a careless server in front of a hub might send: a banner, 200 without a token."""

    def do_GET(self) -> None:
        body = b'{"message": "API running."}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def careless_server() -> Iterator[int]:
    port = free_port()
    server = ThreadingHTTPServer((HOST, port), _Careless)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield port
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_probe_finds_what_a_careless_server_sends(tmp_path: Path, careless_server: int) -> None:
    config_dir = tmp_path / "config"
    write_config(config_dir, careless_server)
    data = check(config_dir, "--probe")
    assert probe_result(data) == (
        "fail",
        ["probe.api_open", "probe.missing_headers", "probe.server_banner"],
    )
    assert data["grade"] == "F"  # an open API is critical


def test_probe_without_a_hub_says_not_checked(tmp_path: Path) -> None:
    config_dir = tmp_path / "config"
    write_config(config_dir, free_port())
    data = check(config_dir, "--probe")
    (result,) = [c for c in data["checks"] if c["id"] == "probe"]
    assert result["status"] == "not_checked"
    assert "is the hub running?" in result["note"]
