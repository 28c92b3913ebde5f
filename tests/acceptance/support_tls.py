"""Helpers for TLS acceptance tests: a hub with `hearth cert self-signed`, sslyze, s_client."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from hearth.certs.configure import set_http_keys
from tests.acceptance.support import (
    HOST,
    RUN,
    START_TIMEOUT,
    RunningHub,
    hearth,
    hub_env,
    start_hub,
    wait_listening,
    write_config,
)

ROOT = Path(__file__).resolve().parents[2]
SSLYZE = ROOT / ".venv-sslyze" / "bin" / "python"
TOOL_TIMEOUT = 120.0
API_REQUEST = b"GET /api/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"


@dataclass
class TlsHub:
    """A running hub serving HTTPS with a certificate from `hearth cert self-signed`."""

    hub: RunningHub
    ca: Path  # the local CA certificate clients trust

    @property
    def port(self) -> int:
        return self.hub.port

    @property
    def url(self) -> str:
        """HTTPS base URL by name (the certificate covers localhost and 127.0.0.1)."""
        return f"https://localhost:{self.port}"

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts the hub's local CA."""
        return ssl.create_default_context(cafile=str(self.ca))

    def peer_certificate(self) -> bytes:
        """The DER certificate a new connection is served."""
        with (
            socket.create_connection((HOST, self.port), timeout=5) as raw,
            self.client_context().wrap_socket(raw, server_hostname="localhost") as tls,
        ):
            der = tls.getpeercert(binary_form=True)
        assert der is not None
        return der


TlsHubFactory = Callable[..., TlsHub]


def issue_certificate(config_dir: Path, *hosts: str) -> None:
    """Run `hearth cert self-signed` for `hosts` (default: localhost and 127.0.0.1)."""
    args = [arg for host in hosts or ("localhost", HOST) for arg in ("--host", host)]
    made = hearth(config_dir, "cert", "self-signed", *args)
    assert made.returncode == 0, made.stderr


def prepare_config(template: Path, config_dir: Path, port: int, **http: str) -> None:
    """Copy the template store, write the config, make a certificate, set extra http: keys."""
    shutil.copytree(template, config_dir)
    write_config(config_dir, port)
    issue_certificate(config_dir)
    if http:
        path = config_dir / "configuration.yaml"
        path.write_text(set_http_keys(path.read_text(), http))


def start_tls_hub(config_dir: Path, port: int, token: str, log_path: Path) -> TlsHub:
    """Start the hub on a prepared config dir and wait until it accepts connections."""
    process = start_hub(config_dir, port, log_path)
    running = RunningHub(config_dir, port, token, process, log_path)
    hub = TlsHub(running, config_dir / "tls" / "ca.crt")
    wait_listening(process, port, log_path)
    return hub


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


def sslyze(hub: TlsHub, profile: str) -> subprocess.CompletedProcess[str]:
    """Scan the hub against Mozilla's `profile`, trusting only the hub's CA."""
    if not SSLYZE.exists():
        pytest.skip("sslyze is not installed: run `make system-test-deps`")
    return subprocess.run(
        [
            str(SSLYZE),
            "-m",
            "sslyze",
            f"--mozilla_config={profile}",
            f"--certinfo_ca_file={hub.ca}",
            f"localhost:{hub.port}{{{HOST}}}",  # the name for SNI and checks, the address to use
        ],
        capture_output=True,
        text=True,
        timeout=TOOL_TIMEOUT,
        check=False,
    )


@dataclass
class SClient:
    """What `openssl s_client` saw."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def served(self) -> bool:
        """The handshake completed and an HTTP response came back through it."""
        return "HTTP/1.1 " in self.stdout

    def line(self, prefix: str) -> str:
        """The first output line starting with `prefix` (stripped), or ''."""
        for line in (self.stdout + self.stderr).splitlines():
            if line.strip().startswith(prefix):
                return line.strip()
        return ""


def s_client(hub: TlsHub, *args: str, request: bytes = API_REQUEST) -> SClient:
    """`openssl s_client` to the hub with extra `args`, sending one HTTP request."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed: run `make system-test-deps`")
    done = subprocess.run(
        [
            "openssl",
            "s_client",
            "-connect",
            f"{HOST}:{hub.port}",
            "-servername",
            "localhost",
            "-CAfile",
            str(hub.ca),
            "-verify_return_error",
            "-ign_eof",
            *args,
        ],
        input=request,
        capture_output=True,
        timeout=30,
        check=False,
    )
    return SClient(
        done.returncode,
        done.stdout.decode("utf-8", "replace"),
        done.stderr.decode("utf-8", "replace"),
    )


def wait_for(check: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    """Poll `check` until it is true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")
