"""Never root (issue 13): a hub started as root serves as its own user, or refuses to start.

The suite runs as root. The hub here is started from a checkout inside a directory its user
cannot enter (as a checkout under /root with mode 0700 would be), so anything it imported or
opened by path after switching users would fail: the tests drive what a household does (REST,
WebSocket, a login with a password, a password change, a renewed certificate, the CLI beside
the running hub) and read /proc/PID/status of the serving process.
"""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from hearth.privileges import ALLOW_ROOT_WARNING
from hearth.privileges.status import hub_pid, process_status
from tests.acceptance.support import (
    PASSWORD,
    START_TIMEOUT,
    HubFactory,
    RunningHub,
    create_token,
    create_user,
    free_port,
    hearth,
    hub_env,
    port_open,
    request,
    wait_listening,
    write_config,
)
from tests.acceptance.support_login import exchange, log_in
from tests.acceptance.support_root import (
    TEST_USER,
    Checkout,
    assert_unprivileged,
    closed_checkout,
    ensure_user,
)
from tests.acceptance.support_tls import TlsHub, issue_certificate, wait_for
from tests.acceptance.support_ws import ws_auth, ws_result

pytestmark = [
    pytest.mark.acceptance,
    pytest.mark.skipif(os.geteuid() != 0, reason="switching users needs root"),
]

NEW_PASSWORD = "a-brand-new-passphrase-for-the-owner-77"


@pytest.fixture(scope="module")
def user() -> pwd.struct_passwd:
    return ensure_user(TEST_USER)


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A directory the hub's user may pass through (for paths the hub keeps absolute)."""
    path = Path(tempfile.mkdtemp(prefix="hearth-root-", dir="/tmp"))
    path.chmod(0o711)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def start(python: Path, cwd: Path, config: str, log: Path, *args: str, env: dict[str, str]
          ) -> subprocess.Popen[bytes]:  # fmt: skip
    with log.open("wb") as out:
        return subprocess.Popen(
            [str(python), "-m", "hearth", "-c", config, "run", *args],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=env,
        )


def started(config_dir: Path, port: int, token: str, process: subprocess.Popen[bytes],
            log: Path) -> RunningHub:  # fmt: skip
    hub = RunningHub(config_dir, port, token, process, log)
    wait_listening(process, port, log)
    # The port is bound (and open) before the switch: "listening" is logged after it.
    wait_for(lambda: "Hearth is listening" in hub.log(), "the hub to finish starting")
    return hub


def stop(hub: RunningHub) -> None:
    assert hub.stop() == 0, hub.log()
    hub.assert_clean_log()


def assert_private(config_dir: Path, user: pwd.struct_passwd) -> None:
    """The directory and everything in it belong to the hub's user, 0700/0600."""
    for path in [config_dir, *config_dir.rglob("*")]:
        info = os.lstat(path)
        mode = 0o700 if stat.S_ISDIR(info.st_mode) else 0o600
        assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (
            user.pw_uid,
            user.pw_gid,
            mode,
        ), path


async def websocket_session(hub: RunningHub, access_token: str) -> None:
    """States, a service call seen as a state change, and a password change (zxcvbn)."""
    async with aiohttp.ClientSession() as session, session.ws_connect(hub.ws_url) as ws:
        await ws_auth(ws, access_token)
        await ws.send_json({"id": 1, "type": "get_states"})
        states = await ws_result(ws, 1)
        assert states["success"], states
        await ws.send_json(
            {
                "id": 2,
                "type": "call_service",
                "domain": "light",
                "service": "turn_on",
                "service_data": {"entity_id": "light.demo_light_1", "brightness": 77},
            }
        )
        assert (await ws_result(ws, 2))["success"]
        await ws.send_json(
            {
                "id": 3,
                "type": "config/auth_provider/homeassistant/change_password",
                "current_password": PASSWORD,
                "new_password": NEW_PASSWORD,
            }
        )
        changed = await ws_result(ws, 3)
        assert changed["success"], changed


def test_a_hub_started_as_root_serves_as_its_own_user(
    tmp_path: Path, hub_template: tuple[Path, str], user: pwd.struct_passwd
) -> None:
    checkout: Checkout = closed_checkout(tmp_path)
    shutil.copytree(hub_template[0], checkout.config_dir)
    port = free_port()
    write_config(checkout.config_dir, port)
    log = tmp_path / "hub.log"
    process = start(checkout.python, checkout.root, "config", log, "--user", TEST_USER,
                    env=checkout.env())  # fmt: skip
    hub = started(checkout.config_dir, port, hub_template[1], process, log)
    try:
        assert hub_pid(checkout.config_dir) == process.pid  # `hearth check` finds it this way
        assert len(assert_unprivileged(process.pid, user)) >= 1
        assert_private(checkout.config_dir, user)
        assert f"Switched to user {TEST_USER} (uid {user.pw_uid}" in hub.log()

        assert request(hub, "GET", "/api/", token=hub.token).status == 200
        assert request(hub, "GET", "/api/states", token=hub.token).status == 200
        tokens = exchange(hub, log_in(hub))  # Argon2id, in its worker threads
        assert request(hub, "GET", "/api/", token=tokens["access_token"]).status == 200
        asyncio.run(websocket_session(hub, tokens["access_token"]))
        assert request(hub, "GET", "/hearth-static/auth.js").status == 200
        # The dashboard's package lies inside the closed checkout too: its files are reached
        # through the folder the hub held open before it gave root up.
        assert request(hub, "GET", "/").status == 200
        assert request(hub, "GET", "/manifest.json").status == 200
        assert request(hub, "GET", "/sw-modern.js").status == 200
        assert request(hub, "GET", "/static/icons/favicon.ico").status == 200
        # Modules loaded on first use (here `hearth check`) were loaded before the switch; the
        # configuration lies below the closed checkout, so its checks say they could not look.
        checked = request(
            hub, "GET", "/api/hearth/check?offline=true", token=tokens["access_token"]
        )
        assert checked.status == 200, checked.body
        results = {result["id"]: result for result in json.loads(checked.body)["checks"]}
        assert results["config"]["status"] == "not_checked"

        # The CLI, as root, beside the running hub: SQLite's locks of the hub must have survived
        # the ownership change, or the CLI deletes the -wal the hub still uses.
        create_user(checkout.config_dir, "made-by-root", admin=False)
        beside = create_token(checkout.config_dir, "made-by-root", "while-running")
        for _ in range(3):
            assert request(hub, "GET", "/api/", token=beside).status == 200
        assert_private(checkout.config_dir, user)  # SQLite gave its files the database's owner
        assert_unprivileged(process.pid, user)  # the threads started since inherited it all
    finally:
        stop(hub)


def test_a_renewed_certificate_is_reloaded_after_the_switch(
    open_dir: Path, hub_template: tuple[Path, str], user: pwd.struct_passwd
) -> None:
    """`hearth cert` run by root while the hub runs as its user: the hub can read the result."""
    config_dir = open_dir / "config"
    shutil.copytree(hub_template[0], config_dir)
    port = free_port()
    write_config(config_dir, port)
    issue_certificate(config_dir)  # also sets ssl_certificate and ssl_key
    log = open_dir / "hub.log"
    process = start(Path(sys.executable), open_dir, str(config_dir), log, "--user", TEST_USER,
                    env=hub_env())  # fmt: skip
    hub = started(config_dir, port, hub_template[1], process, log)
    tls = TlsHub(hub, config_dir / "tls" / "ca.crt")
    try:
        first = tls.peer_certificate()
        issue_certificate(config_dir)  # as root, into the directory the hub's user now owns
        for renewed in (config_dir / "tls").iterdir():
            assert os.stat(renewed).st_uid == user.pw_uid, renewed
        wait_for(lambda: tls.peer_certificate() != first, "the renewed certificate to be served")
        assert "TLS certificate reloaded" in hub.log()
        assert_unprivileged(process.pid, user)
    finally:
        stop(hub)


def run_to_exit(config_dir: Path, *args: str, cwd: Path | None = None,
                python: str = sys.executable, env: dict[str, str] | None = None
                ) -> subprocess.CompletedProcess[str]:  # fmt: skip
    return subprocess.run(
        [python, "-m", "hearth", "-c", str(config_dir), "run", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT,
        env=env or hub_env(),
        cwd=cwd or config_dir.parent,
        check=False,
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: "), lines
    return lines[0]


def test_root_without_a_user_to_switch_to_refuses_to_start(
    tmp_path: Path, hub_template: tuple[Path, str]
) -> None:
    config_dir = tmp_path / "config"
    shutil.copytree(hub_template[0], config_dir)
    port = free_port()
    write_config(config_dir, port)
    line = one_line(run_to_exit(config_dir))
    assert line.startswith("Error: hearth run will not serve as root: start it as root with --user")
    for way in ("--user hearth", "deploy/systemd/", "sudo -u hearth hearth run", "--allow-root"):
        assert way in line
    assert not port_open(port)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--user", "no-such-user-here"), "Error: --user no-such-user-here: there is no such user"),
        (("--user", "root"), "Error: --user root: that user is root (uid 0)"),
        (
            ("--user", TEST_USER, "--allow-root"),
            "Error: --user and --allow-root exclude each other",
        ),
    ],
    ids=["unknown", "root", "both"],
)
def test_bad_user_choices_refuse_to_start(
    tmp_path: Path, hub_template: tuple[Path, str], user: pwd.struct_passwd,
    args: tuple[str, ...], expected: str,
) -> None:  # fmt: skip
    config_dir = tmp_path / "config"
    shutil.copytree(hub_template[0], config_dir)
    port = free_port()
    write_config(config_dir, port)
    assert one_line(run_to_exit(config_dir, *args)).startswith(expected)
    assert not port_open(port)


def test_tls_files_the_user_cannot_read_stop_the_hub(
    tmp_path: Path, hub_template: tuple[Path, str], user: pwd.struct_passwd
) -> None:
    """The certificate is read again on renewal: a path the user cannot reach is refused at
    start, in one line, rather than failing silently at the next renewal."""
    checkout = closed_checkout(tmp_path)
    shutil.copytree(hub_template[0], checkout.config_dir)
    port = free_port()
    write_config(checkout.config_dir, port)
    issue_certificate(checkout.config_dir)
    result = run_to_exit(Path("config"), "--user", TEST_USER, cwd=checkout.root,
                         python=str(checkout.python), env=checkout.env())  # fmt: skip
    line = one_line(result)
    assert line.startswith(
        f"Error: the user {TEST_USER} cannot read {checkout.config_dir / 'tls' / 'server.crt'}, "
        "which the hub reads again when it changes;"
    ), line
    assert not port_open(port)


def test_allow_root_warns_at_every_start(hub_factory: HubFactory) -> None:
    hub = hub_factory()  # the suite's hubs run with --allow-root
    assert process_status(hub.process.pid).uids == (0, 0, 0, 0)
    assert hub.log().count(ALLOW_ROOT_WARNING) == 1
    again = hub_factory(restart=hub)
    assert again.log().count(ALLOW_ROOT_WARNING) == 1
    assert hub_pid(again.config_dir) == again.process.pid  # how `hearth check` learns it is root
    assert hearth(again.config_dir, "user", "list").returncode == 0
