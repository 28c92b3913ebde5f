"""Driving Debian's OpenSSH client (`ssh`, `ssh-keygen`) against a hub's SSH debug console."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.acceptance.support import HOST, USERNAME, HubFactory, RunningHub, free_port, port_open

SSH_TIMEOUT = 20.0
FINGERPRINT = re.compile(r"Debug console host key fingerprint: (SHA256:[A-Za-z0-9+/]{43})")


def require_openssh() -> None:
    """Skip (naming the package) where `make system-test-deps` has not installed the client."""
    if shutil.which("ssh") is None or shutil.which("ssh-keygen") is None:
        pytest.skip("needs Debian's openssh-client (`make system-test-deps` installs it)")


def make_key(directory: Path, name: str, kind: str = "ed25519", bits: int = 0) -> Path:
    """A new key pair without a passphrase; returns the private key's path."""
    path = directory / name
    args = ["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", f"{name}@tests", "-f", str(path)]
    if bits:
        args[2:2] = ["-b", str(bits)]
    subprocess.run(args, check=True, timeout=SSH_TIMEOUT, capture_output=True)
    return path


def authorize(config_dir: Path, key: Path, username: str = USERNAME, mode: int = 0o600) -> Path:
    """Append `key`'s public half to the user's authorized keys file."""
    directory = config_dir / "ssh" / "authorized_keys.d"
    directory.parent.mkdir(mode=0o700, exist_ok=True)
    directory.mkdir(mode=0o700, exist_ok=True)
    path = directory / username
    with path.open("a", encoding="utf-8") as file:
        file.write(key.with_suffix(".pub").read_text(encoding="utf-8"))
    path.chmod(mode)
    return path


@dataclass
class Console:
    """A running hub with its console on `ssh_port`, and a client directory for known_hosts."""

    hub: RunningHub
    ssh_port: int
    client_dir: Path

    def command(
        self, key: Path | None, user: str, source: str, options: tuple[str, ...]
    ) -> list[str]:
        """The `ssh` command line up to the destination."""
        command = [
            "ssh",
            "-F", "/dev/null",
            "-p", str(self.ssh_port),
            "-b", source,
            "-o", f"UserKnownHostsFile={self.client_dir / 'known_hosts'}",
            "-o", "StrictHostKeyChecking=accept-new",
            "-o", "IdentitiesOnly=yes",
            "-o", "IdentityAgent=none",
            "-o", "BatchMode=yes",
            "-o", "ConnectTimeout=10",
            *options,
        ]  # fmt: skip
        if key is not None:
            command += ["-i", str(key)]
        return [*command, f"{user}@{HOST}"]

    def environment(self, env: dict[str, str] | None) -> dict[str, str]:
        """Ours without any SSH_ variable, HOME in the client directory, plus `env`."""
        environment = {k: v for k, v in os.environ.items() if not k.startswith("SSH_")}
        environment["HOME"] = str(self.client_dir)
        environment.update(env or {})
        return environment

    def ssh(
        self,
        key: Path | None,
        *args: str,
        user: str = USERNAME,
        options: tuple[str, ...] = (),
        stdin: str | None = None,
        source: str = HOST,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """One `ssh` run to completion: stdout, stderr and the exit code (255: ssh's own error)."""
        return subprocess.run(
            [*self.command(key, user, source, options), *args],
            input=stdin if stdin is not None else "",
            capture_output=True,
            text=True,
            timeout=SSH_TIMEOUT,
            env=self.environment(env),
            check=False,
        )

    def ssh_process(self, key: Path) -> subprocess.Popen[str]:
        """An interactive session (no terminal) that stays open until its stdin ends."""
        return subprocess.Popen(
            self.command(key, USERNAME, HOST, ("-T",)),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.environment(None),
        )

    def fingerprint_logged(self) -> str:
        """The host key fingerprint the hub printed at start."""
        match = FINGERPRINT.search(self.hub.log())
        assert match is not None, self.hub.log()
        return match.group(1)


def start_console(
    hub_factory: HubFactory, client_dir: Path, *, extra: str = "", http_extra: str = ""
) -> Console:
    """A hub with the console on a free port (127.0.0.1, as its web server), listening."""
    port = free_port()
    config = f"debug_ssh:\n  enabled: true\n  port: {port}\n{extra}"
    hub = hub_factory(config, http_extra)
    deadline = time.monotonic() + 10
    while not port_open(port):
        if time.monotonic() > deadline or hub.process.poll() is not None:
            pytest.fail(f"the console did not listen on port {port}:\n{hub.log()}")
        time.sleep(0.1)
    client_dir.mkdir(mode=0o700, exist_ok=True)
    return Console(hub, port, client_dir)
