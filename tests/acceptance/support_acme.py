"""Debian's `pebble` test CA (and `pebble-challtestsrv` as its DNS) on loopback, for ACME tests.

Pebble serves its API over HTTPS with a certificate made here by a throwaway CA (trusted by the
hub through `ca_bundle`), validates with no artificial sleeps (`PEBBLE_VA_NOSLEEP=1`) and never
rejects a good nonce (`PEBBLE_WFE_NONCEREJECT=0`). Its `httpPort` and `tlsPort` both point at the
hub's own port. Names resolve through challtestsrv: every name is 127.0.0.1 unless a test says
otherwise. Pebble makes a new issuing root on every start; `root()` fetches it.
"""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hearth.certs.authority import Hosts, write_self_signed
from tests.acceptance.support import HOST, free_port

PEBBLE = shutil.which("pebble") or "/usr/bin/pebble"
CHALLTESTSRV = shutil.which("pebble-challtestsrv") or "/usr/bin/pebble-challtestsrv"
START_TIMEOUT = 15.0
DOMAIN = "hub.acme.test"


@dataclass
class Pebble:
    """A running pebble and challtestsrv; stopped by the fixture."""

    directory: str
    management: int
    dns_management: int
    ca_bundle: Path  # the CA of pebble's own HTTPS certificate
    processes: list[subprocess.Popen[bytes]]
    logs: list[Path]

    def context(self) -> ssl.SSLContext:
        """A client context trusting pebble's HTTPS certificate."""
        return ssl.create_default_context(cafile=str(self.ca_bundle))

    def root(self) -> bytes:
        """The root pebble issues from (made anew at each start)."""
        url = f"https://localhost:{self.management}/roots/0"
        with urllib.request.urlopen(url, context=self.context(), timeout=10) as reply:
            data: bytes = reply.read()
        return data

    def set_address(self, name: str, address: str) -> None:
        """Make `name` resolve to `address` (an A record in challtestsrv)."""
        body = json.dumps({"host": name.rstrip(".") + ".", "addresses": [address]}).encode()
        url = f"http://{HOST}:{self.dns_management}/add-a"
        with urllib.request.urlopen(url, data=body, timeout=10) as reply:
            assert reply.status == 200

    def log(self) -> str:
        """Everything pebble and challtestsrv wrote."""
        return "\n".join(p.read_text(errors="replace") for p in self.logs if p.exists())

    def stop(self) -> None:
        """Stop both processes."""
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def start_pebble(
    directory: Path, validation_port: int, eab_keys: dict[str, str] | None = None
) -> Pebble:
    """Start challtestsrv (DNS) and pebble, validating http-01 and tls-alpn-01 at one port.

    With `eab_keys` (kid: base64url HMAC key), pebble requires external account binding.
    """
    if not Path(PEBBLE).exists() or not Path(CHALLTESTSRV).exists():
        pytest.skip("pebble is not installed: run `make system-test-deps`")
    directory.mkdir(parents=True, exist_ok=True)
    issued = write_self_signed(
        directory / "tls",
        Hosts.parse(["localhost", HOST]),
        now=datetime.now(UTC),
        new_ca=True,
    )
    dns, dns_management = free_port(), free_port()
    api, management = free_port(), free_port()
    config = {
        "pebble": {
            "listenAddress": f"{HOST}:{api}",
            "managementListenAddress": f"{HOST}:{management}",
            "certificate": str(issued.certificate),
            "privateKey": str(issued.key),
            "httpPort": validation_port,
            "tlsPort": validation_port,
            "ocspResponderURL": "",
            "externalAccountBindingRequired": eab_keys is not None,
            "externalAccountMACKeys": eab_keys or {},
        }
    }
    config_path = directory / "pebble-config.json"
    config_path.write_text(json.dumps(config))
    logs = [directory / "challtestsrv.log", directory / "pebble.log"]
    commands = [
        [
            CHALLTESTSRV,
            "-dns01",
            f"{HOST}:{dns}",
            "-http01",
            "",
            "-https01",
            "",
            "-tlsalpn01",
            "",
            "-management",
            f"{HOST}:{dns_management}",
            "-defaultIPv4",
            HOST,
            "-defaultIPv6",
            "",
        ],
        [PEBBLE, "-config", str(config_path), "-dnsserver", f"{HOST}:{dns}", "-strict=false"],
    ]
    env = {"PATH": "/usr/bin:/bin", "PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0"}
    processes = []
    for command, log in zip(commands, logs, strict=True):
        with log.open("wb") as out:
            processes.append(
                subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
            )
    pebble = Pebble(
        f"https://localhost:{api}/dir",
        management,
        dns_management,
        issued.ca_certificate,
        processes,
        logs,
    )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in processes):
            pebble.stop()
            pytest.fail(f"pebble exited:\n{pebble.log()}")
        try:
            with urllib.request.urlopen(  # noqa: S310
                pebble.directory, context=pebble.context(), timeout=2
            ):
                pass
            with socket.create_connection((HOST, dns_management), timeout=1):
                return pebble
        except OSError:
            time.sleep(0.1)
    pebble.stop()
    pytest.fail(f"pebble did not start within {START_TIMEOUT}s:\n{pebble.log()}")


def acme_http_config(pebble: Pebble, challenge: str, *domains: str) -> str:
    """The `acme:` lines for configuration.yaml's http: section (ca_bundle copied beside it)."""
    names = ", ".join(domains or (DOMAIN,))
    return (
        "  acme:\n"
        f"    directory: {pebble.directory}\n"
        f"    domains: [{names}]\n"
        f"    challenge: {challenge}\n"
        "    email: owner@example.org\n"
        "    ca_bundle: pebble-ca.pem\n"
    )
