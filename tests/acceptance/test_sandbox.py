"""The hub really runs under deploy/systemd/hearth.service's restrictions (issue 13).

With systemd as PID 1 the unit's own properties are given to `systemd-run`. Without it (these
machines boot a minimal init), tests/acceptance/sandbox.py rebuilds what does not need
systemd: namespaces, a read-only system, private /tmp and /dev, no /root or /home, an
unprivileged user with no capability and no_new_privs, and writable+executable memory refused
(prctl PR_SET_MDWE), which answers whether MemoryDenyWriteExecute=yes is safe: cffi (argon2),
cryptography and ctypes all run with it. The seccomp filters are not reproduced.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from hearth.privileges.status import thread_statuses
from tests.acceptance.support import (
    PASSWORD,
    USERNAME,
    RunningHub,
    free_port,
    hub_env,
    tls_closed,
    wait_listening,
    write_config,
)
from tests.acceptance.support_root import TEST_USER, ensure_user
from tests.acceptance.support_tls import TlsHub, issue_certificate, wait_for
from tests.deploy.test_systemd import UNIT, directives

pytestmark = [
    pytest.mark.acceptance,
    pytest.mark.skipif(os.geteuid() != 0, reason="namespaces and mounts need root"),
]

SANDBOX = Path(__file__).with_name("sandbox.py")
VERSION = f"python{sys.version_info.major}.{sys.version_info.minor}"
SITE_PACKAGES = next(p for p in sys.path if p.endswith("site-packages"))
# Properties of the unit that describe how to start it rather than how to confine it.
NOT_CONFINEMENT = {"Type", "User", "Group", "ExecStart", "Restart", "RestartSec",
                   "WorkingDirectory", "StateDirectory", "StateDirectoryMode"}  # fmt: skip


@pytest.fixture
def user() -> pwd.struct_passwd:
    return ensure_user(TEST_USER)


@pytest.fixture
def state(user: pwd.struct_passwd, hub_template: tuple[Path, str]) -> Iterator[Path]:
    """A state directory under /var/lib as StateDirectory= makes it: config owned by the user,
    plus mount points through which the interpreter and the venv are reached."""
    base = Path(tempfile.mkdtemp(prefix="hearth-sandbox-", dir="/var/lib"))
    try:
        base.chmod(0o755)
        (base / "python").mkdir()
        (base / "venv" / "lib" / VERSION / "site-packages").mkdir(parents=True)
        (base / "venv" / "bin").mkdir()
        (base / "venv" / "bin" / "python").symlink_to(base / "python" / "bin" / VERSION)
        (base / "venv" / "pyvenv.cfg").write_text(f"home = {base / 'python' / 'bin'}\n")
        config = base / "config"
        shutil.copytree(hub_template[0], config)
        write_config(config, free_port())
        issue_certificate(config)  # TLS: OpenSSL and cryptography under the same limits
        for path in [config, *config.rglob("*")]:
            os.chown(path, user.pw_uid, user.pw_gid, follow_symlinks=False)
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


def port_of(config: Path) -> int:
    text = (config / "configuration.yaml").read_text()
    return int(text.split("server_port:", 1)[1].split()[0])


async def household(hub: TlsHub) -> None:
    """Login with a password (Argon2 through cffi), the REST API and the WebSocket, over TLS."""
    client_id = f"{hub.url}/"
    connector = aiohttp.TCPConnector(ssl=hub.client_context())
    async with aiohttp.ClientSession(hub.url, connector=connector) as session:
        begin = {"client_id": client_id, "handler": ["homeassistant", None],
                 "redirect_uri": f"{client_id}?auth_callback=1"}  # fmt: skip
        async with session.post("/auth/login_flow", json=begin) as resp:
            flow = await resp.json()
        credentials = {"client_id": client_id, "username": USERNAME, "password": PASSWORD}
        async with session.post(f"/auth/login_flow/{flow['flow_id']}", json=credentials) as resp:
            done = await resp.json()
        assert done["type"] == "create_entry", done
        grant = {"grant_type": "authorization_code", "client_id": client_id, "code": done["result"]}
        async with session.post("/auth/token", data=grant) as resp:
            tokens = await resp.json()
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        async with session.get("/api/states", headers=bearer) as resp:
            assert resp.status == 200
        async with session.ws_connect("/api/websocket") as ws:
            assert (await ws.receive_json())["type"] == "auth_required"
            await ws.send_json({"type": "auth", "access_token": tokens["access_token"]})
            assert (await ws.receive_json())["type"] == "auth_ok"
            await ws.send_json({"id": 1, "type": "get_states"})
            assert (await ws.receive_json())["success"] is True
    await tls_closed()


def root_is_read_only(pid: int) -> bool:
    for line in Path(f"/proc/{pid}/mountinfo").read_text().splitlines():
        fields = line.split()
        if fields[4] == "/":
            return "ro" in fields[5].split(",")
    return False


def test_the_hub_runs_in_the_units_sandbox_without_systemd(
    state: Path, user: pwd.struct_passwd, hub_template: tuple[Path, str], tmp_path: Path
) -> None:
    config = state / "config"
    port = port_of(config)
    log = tmp_path / "hub.log"
    hub_command = [str(state / "venv" / "bin" / "python"), "-m", "hearth", "-c", str(config), "run"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                "unshare",
                "--mount",
                "--ipc",
                "--uts",
                "--propagation",
                "private",
                "--",
                sys.executable,
                str(SANDBOX),
                str(state),
                sys.base_prefix,
                SITE_PACKAGES,
                f"{user.pw_uid}:{user.pw_gid}",
                "--",
                *hub_command,
            ],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**hub_env(), "LD_LIBRARY_PATH": str(state / "python" / "lib")},
        )
    running = RunningHub(config, port, hub_template[1], process, log)
    try:
        wait_listening(process, port, log)
        wait_for(lambda: "Hearth is listening" in running.log(), "the hub to start")
        hub = TlsHub(running, config / "tls" / "ca.crt")
        asyncio.run(household(hub))
        assert "sandbox: mdwe=1" in running.log()
        assert root_is_read_only(process.pid)
        for status in thread_statuses(process.pid):
            assert set(status.uids) == {user.pw_uid}, status
            assert not status.capabilities, status
            assert status.cap_bounding == 0, status
            assert status.no_new_privs, status
        assert "Switched to user" not in running.log()  # started as the user: nothing to switch
    finally:
        code = running.stop()
    assert code == 0, running.log()
    running.assert_clean_log()


def test_the_hub_runs_under_the_unit_with_systemd_run(
    state: Path, user: pwd.struct_passwd, hub_template: tuple[Path, str]
) -> None:
    if not Path("/run/systemd/system").is_dir():
        init = Path("/proc/1/comm").read_text().strip()
        pytest.skip(
            f"PID 1 is {init}, not systemd: systemd-run needs a running service manager to "
            "start a transient unit; test_the_hub_runs_in_the_units_sandbox_without_systemd "
            "runs the hub under the restrictions that need no systemd"
        )
    config = state / "config"
    port = port_of(config)
    unit = f"hearth-test-{os.getpid()}"
    properties = [
        f"--property={key}={value}"
        for key, values in directives(UNIT, "Service").items()
        if key not in NOT_CONFINEMENT
        for value in values
    ]
    # The interpreter lives under /root here, which ProtectHome= hides: bind it in read-only.
    binds = [f"--property=BindReadOnlyPaths={sys.base_prefix}:{state / 'python'}",
             f"--property=BindReadOnlyPaths={SITE_PACKAGES}:"
             f"{state / 'venv' / 'lib' / VERSION / 'site-packages'}",
             f"--property=ReadWritePaths={config}",
             f"--setenv=LD_LIBRARY_PATH={state / 'python' / 'lib'}"]  # fmt: skip
    started = subprocess.run(
        [
            "systemd-run",
            f"--unit={unit}",
            f"--uid={user.pw_uid}",
            f"--gid={user.pw_gid}",
            *properties,
            *binds,
            str(state / "venv" / "bin" / "python"),
            "-m",
            "hearth",
            "-c",
            str(config),
            "run",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert started.returncode == 0, started.stderr
    try:
        hub = TlsHub(RunningHub(config, port, hub_template[1], None, state / "unused"),  # type: ignore[arg-type]
                     config / "tls" / "ca.crt")  # fmt: skip
        wait_for(lambda: _accepts(hub), "the unit to serve")
        asyncio.run(household(hub))
    finally:
        subprocess.run(["systemctl", "stop", unit], timeout=30, check=False)


def _accepts(hub: TlsHub) -> bool:
    try:
        hub.peer_certificate()
    except OSError:
        return False
    return True
