"""The hub as a process: start-up errors, shutdown, what it listens on."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from tests.acceptance.support import (
    HOST,
    RUN,
    START_TIMEOUT,
    STOP_TIMEOUT,
    RunningHub,
    assert_serving,
    free_port,
    hearth,
    hub_env,
    port_open,
    write_config,
)
from tests.acceptance.support_ws import ws_auth, ws_result

pytestmark = pytest.mark.acceptance


def run_to_exit(config_dir: Path) -> subprocess.CompletedProcess[str]:
    """Run `hearth run` where it is expected to refuse to start; bounded."""
    return subprocess.run(
        [sys.executable, "-m", "hearth", "-c", str(config_dir), *RUN],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT,
        env=hub_env(),
        cwd=config_dir.parent,
        check=False,
    )


# --- start-up errors -------------------------------------------------------------------------


def config_with(port: int, replace: str, by: str) -> str:
    """The acceptance configuration with one line replaced (by may span lines)."""
    good = (
        "homeassistant:\n"
        "  name: Broken Home\n"
        "http:\n"
        f"  server_host: [{HOST!r}]\n"
        f"  server_port: {port}\n"
        "demo:\n"
        "  lights: 3\n"
        "  sensor_interval: 0.5\n"
    )
    assert replace in good
    return good.replace(replace, by)


@pytest.mark.parametrize(
    ("replace", "by", "bad_line", "words"),
    [
        ("demo:\n", "frobnicate: 1\ndemo:\n", "frobnicate: 1", ["frobnicate"]),
        ("  lights: 3\n", "  lights: 3\n  gizmo: 2\n", "  gizmo: 2", ["gizmo"]),
        ("  lights: 3\n", "  lights: -1\n", "  lights: -1", ["demo.lights"]),
        ("  name: Broken Home\n", "  name: [1, 2]\n", "  name: [1, 2]", ["homeassistant.name"]),
        (
            "  name: Broken Home\n",
            "  time_zone: Mars/Olympus\n",
            "  time_zone: Mars/Olympus",
            ["time_zone"],
        ),
        ("  server_port: ", "  server_port: 70000 #", "  server_port: 70000", ["http.server_port"]),
    ],
    ids=[
        "unknown-top-level-key",
        "unknown-nested-key",
        "out-of-range",
        "wrong-type",
        "bad-time-zone",
        "bad-port",
    ],
)
def test_bad_config_refuses_to_start_with_one_line(
    tmp_path: Path, replace: str, by: str, bad_line: str, words: list[str]
) -> None:
    """A bad key or value: non-zero exit, one line naming file:line and key, no traceback."""
    config_dir = tmp_path / "config"
    config_dir.mkdir(mode=0o700)
    port = free_port()
    text = config_with(port, replace, by)
    (config_dir / "configuration.yaml").write_text(text, encoding="utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if row.startswith(bad_line))
    result = run_to_exit(config_dir)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{result.stderr}"
    assert re.search(rf"configuration\.yaml, line {line}\b", lines[0]), (line, lines[0])
    for word in words:
        assert word in lines[0], lines[0]
    assert not port_open(port)


def test_bad_yaml_names_file_and_line(tmp_path: Path) -> None:
    """A YAML syntax error is reported like any other config error."""
    config_dir = tmp_path / "config"
    port = free_port()
    write_config(config_dir, port, "demo_extra: [unclosed\n")
    result = run_to_exit(config_dir)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert re.search(r"configuration\.yaml, line \d+", lines[0]), lines[0]
    assert not port_open(port)


def test_missing_config_says_how_to_create_it(tmp_path: Path) -> None:
    """No configuration.yaml: one line that points at `init-demo`."""
    result = run_to_exit(tmp_path / "nothing-here")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "init-demo" in lines[0]


def test_port_in_use_is_a_clear_error(hub: RunningHub, tmp_path: Path) -> None:
    """A second hub on the same port refuses to start with one line and leaves the first alone."""
    config_dir = tmp_path / "second"
    write_config(config_dir, hub.port)
    result = run_to_exit(config_dir)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if str(hub.port) in line]
    assert errors, result.stderr
    assert_serving(hub)


def test_init_demo_creates_once(tmp_path: Path) -> None:
    """`init-demo` writes a private demo config once and never overwrites it."""
    config_dir = tmp_path / "demo"
    first = hearth(config_dir, "init-demo")
    assert first.returncode == 0, first.stderr
    config_file = config_dir / "configuration.yaml"
    assert config_file.is_file()
    assert config_dir.stat().st_mode & 0o077 == 0
    config_file.write_text(config_file.read_text(encoding="utf-8") + "# mine\n", encoding="utf-8")
    second = hearth(config_dir, "init-demo")
    assert second.returncode == 0, second.stderr
    assert config_file.read_text(encoding="utf-8").endswith("# mine\n")


# --- shutdown --------------------------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_signal_stops_cleanly_with_open_websocket(
    hub: RunningHub, sig: signal.Signals
) -> None:
    """With a subscribed WebSocket client connected, a signal still gives a quick exit 0."""
    async with aiohttp.ClientSession() as session, session.ws_connect(hub.ws_url) as ws:
        await ws_auth(ws, hub.token)
        await ws.send_json({"id": 1, "type": "subscribe_events", "event_type": "state_changed"})
        reply = await ws_result(ws, 1)
        assert reply["success"] is True, reply
        hub.stopped = True
        hub.process.send_signal(sig)
        async with asyncio.timeout(STOP_TIMEOUT):
            while not ws.closed:
                await ws.receive()
            while hub.process.poll() is None:
                await asyncio.sleep(0.05)
    assert hub.process.returncode == 0, hub.log()
    assert not port_open(hub.port)
    assert "Traceback" not in hub.log()


def listening_addresses(port: int) -> set[str]:
    """Local addresses (hex, as in /proc/net/tcp*) with a socket listening on `port`."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        rows = Path(table).read_text(encoding="ascii").splitlines()[1:]
        for row in rows:
            local, _remote, state = row.split()[1:4]
            address, port_hex = local.split(":")
            if state == "0A" and int(port_hex, 16) == port:
                found.add(address)
    return found


def test_listens_on_loopback_only(hub: RunningHub) -> None:
    """Bound to 127.0.0.1 only, as configured: no wildcard or other listener on the port."""
    assert listening_addresses(hub.port) == {"0100007F"}
