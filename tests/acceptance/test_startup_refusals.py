"""The real hub refuses dangerous set-ups with one line and exit code 1 (issues 9 and 10).

Each refusal starts `python -m hearth run` as a process and checks the exit code, that stderr is
one line naming file, line and key (or the file and the command that fixes it), and that no port
was bound.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.acceptance.support import (
    CLI_TIMEOUT,
    RUN,
    START_TIMEOUT,
    HubFactory,
    assert_serving,
    free_port,
    hearth,
    hub_env,
    port_open,
    start_hub,
    wait_listening,
    write_config,
)

pytestmark = pytest.mark.acceptance

NOBODY = 65534


def refusal(config_dir: Path, *args: str, prefix: tuple[str, ...] = ()) -> str:
    """Run `hearth run` (or `args`) expecting a refusal: exit 1 and one line; return the line."""
    result = subprocess.run(
        [*prefix, sys.executable, "-m", "hearth", "-c", str(config_dir), *(args or RUN)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT,
        env=hub_env(),
        cwd=config_dir.parent,
        check=False,
    )
    assert result.returncode == 1, result
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{result.stderr}"
    assert lines[0].startswith("Error: ")
    return lines[0]


def line_of(config_dir: Path, text: str, name: str = "configuration.yaml") -> int:
    """The number of the first line of `name` that contains `text`."""
    rows = (config_dir / name).read_text(encoding="utf-8").splitlines()
    return next(number for number, row in enumerate(rows, 1) if text in row)


def with_core(config_dir: Path, line: str) -> None:
    """Add one line to the `homeassistant:` section of the acceptance configuration."""
    path = config_dir / "configuration.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("homeassistant:\n", f"homeassistant:\n{line}\n", 1), "utf-8")


# --- 9.10: dangerous network settings ---------------------------------------------------------


@pytest.mark.parametrize(
    ("http_extra", "extra", "marker", "key"),
    [
        ("  use_x_forwarded_for: true\n  trusted_proxies: [0.0.0.0/0]\n", "", "trusted_proxies",
         "http.trusted_proxies[0]"),
        ("  ip_ban_allowlist: ['::/0']\n", "", "ip_ban_allowlist", "http.ip_ban_allowlist[0]"),
        ("  local_networks: [0.0.0.0/0]\n", "", "local_networks", "http.local_networks[0]"),
        ("", "auth:\n  trusted_networks:\n    - networks: [203.0.113.0/24]\n      users: [admin]\n",
         "- networks:", "auth.trusted_networks[0].networks[0]"),
    ],
    ids=["public-proxies", "public-allowlist", "public-local-networks", "public-trusted-network"],
)  # fmt: skip
def test_dangerous_network_settings_refuse_to_start(
    tmp_path: Path, http_extra: str, extra: str, marker: str, key: str
) -> None:
    config_dir = tmp_path / "config"
    port = free_port()
    write_config(config_dir, port, extra, http_extra)
    line = refusal(config_dir)
    assert line.startswith(
        f"Error: configuration.yaml, line {line_of(config_dir, marker)}: {key}: "
    )
    assert "public addresses" in line
    assert not port_open(port)


def test_trusted_network_for_an_admin_with_remote_access_refuses_to_start(
    tmp_path: Path, hub_template: tuple[Path, str]
) -> None:
    """The template's `admin` is an administrator: no password-less login for it from afar."""
    config_dir = tmp_path / "config"
    shutil.copytree(hub_template[0], config_dir)
    port = free_port()
    write_config(
        config_dir,
        port,
        "auth:\n  trusted_networks:\n    - networks: [192.168.50.0/24]\n      users: [admin]\n",
        "  remote_access: true\n  use_x_forwarded_for: true\n  trusted_proxies: [127.0.0.1]\n",
    )
    line = refusal(config_dir)
    number = line_of(config_dir, "users: [admin]")
    assert line.startswith(
        f"Error: configuration.yaml, line {number}: auth.trusted_networks[0].users[0]: this user "
        "is an administrator and remote_access is on"
    )
    assert not port_open(port)


def test_risky_network_settings_start_with_one_warning_each(hub_factory: HubFactory) -> None:
    hub = hub_factory(http_extra="  trusted_proxies: [192.168.0.0/16]\n")
    assert_serving(hub)
    number = line_of(hub.config_dir, "trusted_proxies")
    warnings = [line for line in hub.log().splitlines() if "WARNING hearth.bootstrap" in line]
    assert len(warnings) == 2, hub.log()
    assert (
        f"configuration.yaml, line {number}: http.trusted_proxies[0]: more than a handful"
        in (warnings[0])
    )
    assert f"line {number}: http.trusted_proxies: trusted_proxies without use_x_forw" in warnings[1]


# --- 9.16: files that other users can change ------------------------------------------------


def _spoil(config_dir: Path, case: str) -> Path:
    """Make one file of `config_dir` writable by others (or theirs); return that path."""
    if case == "directory":
        config_dir.chmod(0o777)
        return config_dir
    if case == "included":
        with (config_dir / "configuration.yaml").open("a", encoding="utf-8") as handle:
            handle.write("auth: !include auth.yaml\n")
        target = config_dir / "auth.yaml"
        target.write_text("password_min_length: 12\n", encoding="utf-8")
        target.chmod(0o646)
        return target
    names = {
        "secrets": "secrets.yaml",
        "tls-key": "tls/server.key",
        "database-wal": "hearth.db-wal",
        "database-owner": "hearth.db",
    }
    target = config_dir / names[case]
    target.parent.mkdir(mode=0o700, exist_ok=True)
    if not target.exists():
        target.write_bytes(b"")
    target.chmod(0o620 if case != "database-owner" else 0o600)
    if case == "database-owner":
        os.chown(target, NOBODY, -1)
    return target


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")
@pytest.mark.parametrize(
    "case", ["directory", "secrets", "included", "tls-key", "database-wal", "database-owner"]
)
def test_files_others_can_change_refuse_to_start(
    tmp_path: Path, hub_template: tuple[Path, str], case: str
) -> None:
    config_dir = tmp_path / "config"
    shutil.copytree(hub_template[0], config_dir)
    port = free_port()
    write_config(config_dir, port)
    spoiled = _spoil(config_dir, case)
    line = refusal(config_dir)
    fix = f"chown root {spoiled}" if case == "database-owner" else f"chmod go-w {spoiled}"
    assert line.startswith(f"Error: {spoiled}: ")
    assert line.endswith(f"; fix it with `{fix}`")
    assert not port_open(port)
    if case in ("directory", "database-owner"):
        # Commands that only read or manage accounts still work, and say the same thing.
        listed = hearth(config_dir, "user", "list")
        assert listed.returncode == 0, listed.stderr
        # (The CLI does not judge owners: it may run as root beside a hub that does not.)
        warning = line.replace("Error: ", "Warning: ", 1) + "\n" if case == "directory" else ""
        assert listed.stderr == warning
        # The command in the message is all it takes.
        subprocess.run(["/bin/sh", "-c", fix], check=True, timeout=CLI_TIMEOUT)
        process = start_hub(config_dir, port, tmp_path / "hub.log")
        try:
            wait_listening(process, port, tmp_path / "hub.log")
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=START_TIMEOUT) == 0


# --- 10.5 and 10.11: numbers, names, paths, ports ---------------------------------------------


def test_an_elevation_beyond_any_mountain_refuses_to_start(tmp_path: Path) -> None:
    config_dir = tmp_path / "config"
    write_config(config_dir, free_port())
    with_core(config_dir, "  elevation: 123456789012345678901234567890")
    assert refusal(config_dir) == (
        f"Error: configuration.yaml, line {line_of(config_dir, 'elevation')}: "
        "homeassistant.elevation: expected an integer from -10000 to 10000"
    )


def test_a_name_with_control_characters_refuses_to_start(tmp_path: Path) -> None:
    config_dir = tmp_path / "config"
    write_config(config_dir, free_port())
    text = (config_dir / "configuration.yaml").read_text(encoding="utf-8")
    (config_dir / "configuration.yaml").write_text(
        text.replace("  name: Acceptance Home\n", '  name: "Home\\e[2J\\u202e"\n'), "utf-8"
    )
    line = refusal(config_dir)
    assert line.startswith(
        f"Error: configuration.yaml, line {line_of(config_dir, 'name:')}: homeassistant.name: "
        "expected printable text"
    )
    assert "\x1b" not in line


@pytest.mark.parametrize("command", [RUN, ("user", "list")], ids=["run", "user-list"])
def test_a_config_path_that_is_a_file_is_one_line(tmp_path: Path, command: tuple[str, ...]) -> None:
    not_a_dir = tmp_path / "configuration.yaml"
    not_a_dir.write_text("homeassistant:\n", encoding="utf-8")
    assert refusal(not_a_dir, *command) == (
        f"Error: Configuration directory '{not_a_dir}' is not a directory."
    )


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root, setpriv")
def test_an_unreadable_config_dir_is_one_line(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Run as `nobody` against a root-only directory (pytest's own temp root is private)."""
    top = Path("/tmp") / f"hearth-unreadable-{os.getpid()}"
    top.mkdir(mode=0o755)
    try:
        top.chmod(0o755)
        config_dir = top / "config"
        write_config(config_dir, free_port())
        config_dir.chmod(0o700)
        drop = ("setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups")
        assert refusal(config_dir, prefix=drop) == (
            f"Error: Configuration directory '{config_dir}' cannot be read (permission denied); "
            "run hearth as the user that owns it."
        )
    finally:
        shutil.rmtree(top)


# --- 10.10: one hub per configuration directory -----------------------------------------------


def test_a_second_hub_on_the_same_directory_is_refused(
    hub_factory: HubFactory, tmp_path: Path
) -> None:
    """The port changed between starts: without the lock two hubs would share one database."""
    hub = hub_factory()
    config_file = hub.config_dir / "configuration.yaml"
    original = config_file.read_text(encoding="utf-8")
    other_port = free_port()
    config_file.write_text(original.replace(f"{hub.port}", f"{other_port}"), "utf-8")
    assert refusal(hub.config_dir) == (
        f"Error: {hub.config_dir}: another hub (pid {hub.process.pid}) is already running with "
        "this configuration directory; stop it first (two hubs must not share one database)"
    )
    assert not port_open(other_port)
    listed = hearth(hub.config_dir, "user", "list")  # the CLI works beside the running hub
    assert listed.returncode == 0, listed.stderr
    assert "admin" in listed.stdout
    assert_serving(hub)

    # Another directory, the same port: the port is named, with its line, and the address once.
    other_dir = tmp_path / "other"
    write_config(other_dir, hub.port)
    line = refusal(other_dir)
    assert line == (
        f"Error: configuration.yaml, line {line_of(other_dir, 'server_port')}: http.server_port: "
        f"port {hub.port} is already in use on 127.0.0.1 (by another program, or another hub); "
        "stop it or choose another port"
    )

    # A hub killed outright leaves its lock file behind, but not its lock.
    config_file.write_text(original, "utf-8")
    hub.stop(signal.SIGKILL)
    process = start_hub(hub.config_dir, hub.port, tmp_path / "restarted.log")
    try:
        wait_listening(process, hub.port, tmp_path / "restarted.log")
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=CLI_TIMEOUT) == 0
