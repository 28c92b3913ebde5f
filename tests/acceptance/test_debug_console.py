"""The SSH debug console against the running hub, driven by Debian's OpenSSH client."""

from __future__ import annotations

import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.acceptance.ban_support import ATTACKER, call, wait_for
from tests.acceptance.support import (
    HOST,
    RUN,
    STOP_TIMEOUT,
    HubFactory,
    RunningHub,
    hearth,
    hub_env,
)
from tests.acceptance.support_ssh import (
    Console,
    authorize,
    make_key,
    require_openssh,
    start_console,
)

pytestmark = pytest.mark.acceptance

DENIED = "Permission denied (publickey)"


@pytest.fixture(autouse=True)
def _openssh() -> None:
    require_openssh()


@pytest.fixture
def console(hub_factory: HubFactory, tmp_path: Path) -> Console:
    """A hub with the console on, threshold 2 for bans."""
    return start_console(
        hub_factory, tmp_path / "client", http_extra="  login_attempts_threshold: 2\n"
    )


def audit_events(hub: RunningHub, event: str) -> str:
    listed = hearth(hub.config_dir, "audit", "log", "--event", event, "--json")
    assert listed.returncode == 0, listed.stderr
    return listed.stdout


def test_off_by_default_nothing_listens_on_22222(hub: RunningHub) -> None:
    # The default hub (no debug_ssh section): no listener on the console's port.
    with pytest.raises(ConnectionRefusedError), socket.create_connection((HOST, 22222), timeout=2):
        pass
    assert "Debug console" not in hub.log()
    assert not (hub.config_dir / "ssh").exists()


def test_an_authorized_key_gets_the_console(console: Console, tmp_path: Path) -> None:
    key = make_key(tmp_path, "admin_key")
    authorize(console.hub.config_dir, key)  # added while the hub runs: no restart needed
    # The host key: created 0600 on first enable; its fingerprint at start, in the CLI, and
    # the one the client learned on first connection are one.
    host_key = console.hub.config_dir / "ssh" / "ssh_host_ed25519_key"
    assert stat.S_IMODE(host_key.stat().st_mode) == 0o600
    shown = hearth(console.hub.config_dir, "debug-ssh", "fingerprint")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == console.fingerprint_logged()

    users = console.ssh(key, "users")  # an exec request runs one console command
    assert users.returncode == 0, users.stderr
    assert users.stdout.splitlines()[0].split()[:4] == ["USERNAME", "NAME", "OWNER", "ADMIN"]
    learned = subprocess.run(
        ["ssh-keygen", "-lf", str(console.client_dir / "known_hosts")],
        capture_output=True, text=True, check=True, timeout=10,
    )  # fmt: skip
    assert console.fingerprint_logged() in learned.stdout

    lines = [
        "states",
        'call light.turn_on \'{"entity_id": "light.demo_light_1"}\'',
        "state light.demo_light_1",
        "bogus",
        "exit",
        "users",  # after exit: never run
    ]
    session = console.ssh(key, options=("-T",), stdin="\n".join(lines) + "\n")
    assert session.returncode == 0, session.stderr
    assert "light.demo_light_1" in session.stdout
    assert '"entity_id": "light.demo_light_1"' in session.stdout
    assert '"state": "on"' in session.stdout
    assert "USERNAME" not in session.stdout
    assert "error: unknown command 'bogus'" in session.stdout

    # Nothing else runs: a shell command line is one unknown console command.
    shell = console.ssh(key, "cat /etc/passwd; id")
    assert shell.returncode == 1
    assert "root:" not in shell.stdout
    assert "error: unknown command 'cat'" in shell.stdout

    logins = audit_events(console.hub, "debug_ssh_login")
    assert '"username":"admin"' in logins
    assert '"key":"SHA256:' in logins
    commands = audit_events(console.hub, "debug_ssh_command")
    for line in ("users", "states", "state light.demo_light_1", "bogus", "cat /etc/passwd; id"):
        assert f'"command":"{line}"' in commands
    wait_for(lambda: "debug_ssh_logout" in audit_events(console.hub, "debug_ssh_logout"), "end")


def test_a_password_is_never_asked_for(console: Console, tmp_path: Path) -> None:
    # If ssh asked for a password, it would run this program: it leaves a mark.
    mark = tmp_path / "asked"
    askpass = tmp_path / "askpass"
    askpass.write_text(f"#!/bin/sh\ntouch {mark}\necho wrong-password\n", encoding="utf-8")
    askpass.chmod(0o700)
    env = {"SSH_ASKPASS": str(askpass), "SSH_ASKPASS_REQUIRE": "force", "DISPLAY": ":0"}
    for method in ("password", "keyboard-interactive"):
        refused = console.ssh(
            None,
            "users",
            options=("-o", "BatchMode=no", "-o", f"PreferredAuthentications={method}"),
            env=env,
        )
        assert refused.returncode == 255
        assert DENIED in refused.stderr
        assert not mark.exists(), f"ssh asked for a password ({method})"


def test_an_unknown_key_is_refused_and_counts_toward_the_ban(
    console: Console, tmp_path: Path
) -> None:
    good = make_key(tmp_path, "admin_key")
    authorize(console.hub.config_dir, good)
    stranger = make_key(tmp_path, "stranger")
    for _ in range(2):  # login_attempts_threshold: 2
        refused = console.ssh(stranger, "users", source=ATTACKER)
        assert refused.returncode == 255
        assert DENIED in refused.stderr
    wait_for(lambda: "Banned 127.0.0.2" in console.hub.log(), "the ban")
    lines = [
        line
        for line in console.hub.log().splitlines()
        if f"Login failed for user 'admin' from {ATTACKER}: ssh_key_refused" in line
    ]
    assert len(lines) == 2
    # Banned: refused at connect, before any banner, even with the right key; and on the web.
    banned = console.ssh(good, "users", source=ATTACKER)
    assert banned.returncode == 255
    assert "USERNAME" not in banned.stdout
    with socket.create_connection((HOST, console.ssh_port), source_address=(ATTACKER, 0)) as sock:
        sock.settimeout(5)
        assert sock.recv(100) == b""
    assert call(console.hub, token=console.hub.token, source=ATTACKER).status == 403
    # Other addresses are not affected.
    assert console.ssh(good, "users").returncode == 0


def test_no_forwarding_no_agent_no_x11_no_subsystem(console: Console, tmp_path: Path) -> None:
    key = make_key(tmp_path, "admin_key")
    authorize(console.hub.config_dir, key)
    stdio = console.ssh(key, options=("-W", f"{HOST}:{console.hub.port}"))
    assert stdio.returncode == 255
    assert "administratively prohibited" in stdio.stderr
    remote = console.ssh(
        key, "users", options=("-o", "ExitOnForwardFailure=yes", "-R", f"0:{HOST}:22")
    )
    assert remote.returncode == 255
    assert "remote port forwarding failed" in remote.stderr
    sftp = console.ssh(key, "sftp", options=("-s",))
    assert sftp.returncode != 0
    assert "subsystem request failed" in sftp.stderr
    x11 = console.ssh(key, "users", options=("-X", "-v"), env={"DISPLAY": ":0"})
    assert "X11 forwarding request failed" in x11.stderr
    agent = console.ssh(key, "users", options=("-A", "-v"), env={"SSH_AUTH_SOCK": "/nonexistent"})
    assert agent.returncode == 0
    assert "auth-agent@openssh.com" not in agent.stderr  # no agent channel was ever opened
    log = console.hub.log()
    assert "refused port forwarding (-L, -W)" in log
    assert "refused remote port forwarding (-R)" in log
    assert "refused the 'sftp' subsystem" in log


def test_a_keys_file_others_can_read_stops_the_console(console: Console, tmp_path: Path) -> None:
    # A weak key in a private file: refused with a message naming the file and line.
    weak = make_key(tmp_path, "weak_rsa", "rsa", 2048)
    keys = authorize(console.hub.config_dir, weak)
    assert console.ssh(weak, "users").returncode == 255
    assert f"{keys} line 1: an RSA key of 2048 bits is refused (at least 3072)" in console.hub.log()
    key = make_key(tmp_path, "admin_key")
    authorize(console.hub.config_dir, key, mode=0o644)
    # While running: the file is ignored (and said so), the key does not log in.
    refused = console.ssh(key, "users")
    assert refused.returncode == 255
    assert "its keys are ignored" in console.hub.log()
    assert console.hub.stop() == 0
    # At start: the hub refuses, with one line naming the file and the fix.
    process = subprocess.run(
        [sys.executable, "-m", "hearth", "-c", str(console.hub.config_dir), *RUN],
        capture_output=True, text=True, timeout=STOP_TIMEOUT * 3, env=hub_env(),
        cwd=console.hub.config_dir.parent, check=False,
    )  # fmt: skip
    assert process.returncode == 1
    expected = (
        f"Error: {keys}: the debug console will not start: {keys} has mode 0644: it must be "
        f"0600 (no access for group or others); fix it with `chmod 600 {keys}`"
    )
    assert expected in process.stderr.splitlines()
    assert "Traceback" not in process.stderr


def test_sessions_over_max_sessions_are_refused(hub_factory: HubFactory, tmp_path: Path) -> None:
    console = start_console(hub_factory, tmp_path / "client", extra="  max_sessions: 1\n")
    key = make_key(tmp_path, "admin_key")
    authorize(console.hub.config_dir, key)
    assert console.ssh(key, "users").returncode == 0  # a session ends: its place is free again
    held = console.ssh_process(key)
    try:
        wait_for(lambda: "logged in" in console.hub.log(), "the first session")
        refused = console.ssh(key, "users")
        assert refused.returncode == 255
        assert "open failed" in refused.stderr
        assert "all sessions in use" in console.hub.log()
    finally:
        held.communicate("exit\n", timeout=20)
    assert console.ssh(key, "users").returncode == 0
