"""Descriptor exhaustion against a hub started with `ulimit -n 1024`: a real client still gets in.

With 1024 descriptors, 17 addresses holding 60 slow connections each used to exhaust the hub:
accept() failed with EMFILE, asyncio logged a traceback for every failure (about 1,400 a
second), and real requests timed out. On the HTTPS port one address could hold 1,020 silent
connections, since nothing was counted before the TLS handshake.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import shutil
import ssl
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hearth import const
from hearth.http.fd_limit import connection_cap
from tests.acceptance.support import (
    HOST,
    RUN,
    RunningHub,
    assert_serving,
    free_port,
    hub_env,
    request,
    wait_listening,
    write_config,
)
from tests.acceptance.support_tls import API_REQUEST, issue_certificate

pytestmark = [pytest.mark.acceptance, pytest.mark.timeout(120)]

OPEN_FILES = 1024
ATTACKERS = [f"127.0.0.{n}" for n in range(10, 27)]  # 17 addresses
SLOW_PER_ADDRESS = 60
TLS_SILENT = 1020
CLIENT = "127.0.0.2"
REAL_REQUESTS = 6
LOG_LINES_ALLOWED = 10  # during the whole attack


def _lower_open_files() -> None:
    """In the hub's process, before exec: as after `ulimit -n 1024` (soft and hard)."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (OPEN_FILES, OPEN_FILES))


LimitedHubFactory = Callable[..., RunningHub]


@pytest.fixture
def limited_hub_factory(
    tmp_path: Path, hub_template: tuple[Path, str]
) -> Iterator[LimitedHubFactory]:
    """Hubs whose process may open at most OPEN_FILES descriptors."""
    template, token = hub_template
    started: list[RunningHub] = []

    def factory(*, tls: bool = False) -> RunningHub:
        config_dir = tmp_path / f"config{len(started)}"
        shutil.copytree(template, config_dir)
        port = free_port()
        write_config(config_dir, port)
        if tls:
            issue_certificate(config_dir)
        log_path = tmp_path / f"hub{len(started)}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "hearth", "-c", str(config_dir), *RUN],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=hub_env(),
                cwd=config_dir.parent,
                preexec_fn=_lower_open_files,
            )
        hub = RunningHub(config_dir, port, token, process, log_path)
        started.append(hub)
        wait_listening(process, port, log_path)
        return hub

    yield factory
    for hub in started:
        code = hub.stop()
        assert code == 0, hub.log()
        hub.assert_clean_log()


def _open_files(hub: RunningHub) -> int:
    return len(os.listdir(f"/proc/{hub.process.pid}/fd"))


def _log_lines(hub: RunningHub) -> int:
    return len(hub.log().splitlines())


async def _hold(
    port: int, source: str, count: int, first_bytes: bytes
) -> list[asyncio.StreamWriter]:
    """Open `count` connections from `source`, send `first_bytes` on each and keep them open."""
    held = []
    for _ in range(count):
        try:
            _reader, writer = await asyncio.wait_for(
                asyncio.open_connection(HOST, port, local_addr=(source, 0)), 5
            )
        except (OSError, TimeoutError):
            continue  # refused or reset at once: what a capped hub does
        if first_bytes:
            writer.write(first_bytes)
        held.append(writer)
    return held


def _close_all(writers: list[asyncio.StreamWriter]) -> None:
    for writer in writers:
        with contextlib.suppress(Exception):
            writer.close()


async def test_slow_connections_from_many_addresses_leave_room_for_a_client(
    limited_hub_factory: LimitedHubFactory,
) -> None:
    hub = limited_hub_factory()
    lines_before = _log_lines(hub)
    slow_headers = b"GET /api/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
    held: list[asyncio.StreamWriter] = []
    try:
        for source in ATTACKERS:
            held += await _hold(hub.port, source, SLOW_PER_ADDRESS, slow_headers)
        peak = _open_files(hub)
        answers = [
            await asyncio.to_thread(request, hub, "GET", "/api/", token=hub.token, source=CLIENT)
            for _ in range(REAL_REQUESTS)
        ]
        lines_during = _log_lines(hub) - lines_before
    finally:
        _close_all(held)

    assert [answer.status for answer in answers] == [200] * REAL_REQUESTS
    # Well below the limit: the cap counts every connection, refused ones are closed at once.
    assert peak <= connection_cap(OPEN_FILES) + const.FD_RESERVE // 2, peak
    assert peak < OPEN_FILES, peak
    assert lines_during <= LOG_LINES_ALLOWED, hub.log()
    assert "Traceback" not in hub.log()
    assert_serving(hub)


async def test_silent_tls_connections_count_against_the_address_cap(
    limited_hub_factory: LimitedHubFactory,
) -> None:
    hub = limited_hub_factory(tls=True)
    lines_before = _log_lines(hub)
    context = ssl.create_default_context(cafile=str(hub.config_dir / "tls" / "ca.crt"))
    held: list[asyncio.StreamWriter] = []
    try:
        # One address, connections that never start their handshake.
        held = await _hold(hub.port, ATTACKERS[0], TLS_SILENT, b"")
        await asyncio.sleep(0.5)
        open_files = _open_files(hub)
        answers = []
        for _ in range(REAL_REQUESTS):
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(
                    HOST,
                    hub.port,
                    ssl=context,
                    server_hostname="localhost",
                    local_addr=(CLIENT, 0),
                ),
                5,
            )
            writer.write(API_REQUEST)
            answers.append(await asyncio.wait_for(reader.read(), 5))
            writer.close()
        lines_during = _log_lines(hub) - lines_before
    finally:
        _close_all(held)

    assert all(answer.startswith(b"HTTP/1.1 401 ") for answer in answers), answers
    # The hub kept at most the per-address cap of them (plus its own files).
    assert open_files < const.MAX_CONNECTIONS_PER_IP + 100, open_files
    assert lines_during <= LOG_LINES_ALLOWED, hub.log()
