"""A real Mosquitto for tests: TLS with a CA made here, a password file, an ACL, no anonymous.

Used by tests/integrations/mqtt and tests/acceptance. Debian's mosquitto starts in milliseconds;
everything waits on conditions with deadlines, never on fixed sleeps.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import ssl
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import pytest
import trustme

from tests.acceptance.support import free_port

HOST: Final = "127.0.0.1"
START_TIMEOUT: Final = 10.0
HUB_USER: Final = "hearth"
HUB_PASSWORD: Final = "hub-password-for-tests-9f3a"
Z2M_USER: Final = "zigbee2mqtt"
Z2M_PASSWORD: Final = "z2m-password-for-tests-71c2"
TASMOTA_USER: Final = "tasmota_1A2B3C"
TASMOTA_PASSWORD: Final = "tasmota-password-for-tests-5d0e"
USERS: Final = {HUB_USER: HUB_PASSWORD, Z2M_USER: Z2M_PASSWORD, TASMOTA_USER: TASMOTA_PASSWORD}

# The per-client ACL of docs/mqtt.md: the hub reads discovery and device state and writes
# command topics; Zigbee2MQTT its own tree and its discovery; other devices only their own.
ACL: Final = """\
user hearth
topic read homeassistant/+/+/config
topic read homeassistant/+/+/+/config
topic readwrite homeassistant/status
topic read zigbee2mqtt/#
topic write zigbee2mqtt/+/set
topic write zigbee2mqtt/+/set/#
topic read tasmota/+/stat/#
topic read tasmota/+/tele/#
topic write tasmota/+/cmnd/#
topic read $SYS/broker/version

user zigbee2mqtt
topic readwrite zigbee2mqtt/#
topic write homeassistant/#
topic read homeassistant/status

pattern readwrite tasmota/%u/#
pattern write homeassistant/+/%u/+/config
pattern read homeassistant/status
"""


def mosquitto_binary() -> str:
    """The mosquitto executable (Debian puts it in /usr/sbin), or skip."""
    found = shutil.which("mosquitto") or (
        "/usr/sbin/mosquitto" if os.access("/usr/sbin/mosquitto", os.X_OK) else None
    )
    if found is None:
        pytest.skip("mosquitto is not installed (make system-test-deps installs it)")
    return found


def wait_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    """Until something accepts connections on `port` (bounded)."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"mosquitto exited with {process.returncode}:\n{log.read_text()}")
        try:
            with socket.create_connection((HOST, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    pytest.fail(f"mosquitto did not listen on {port}:\n{log.read_text()}")


@dataclass
class Broker:
    """One Mosquitto process and the files it uses."""

    directory: Path
    port: int
    ca: trustme.CA
    tls: bool = True
    require_certificate: bool = False  # mutual TLS: clients need a certificate from `ca` too
    process: subprocess.Popen[bytes] | None = None
    starts: int = field(default=0)

    @property
    def ca_file(self) -> Path:
        """The CA certificate that signed the broker's certificate."""
        return self.directory / "ca.pem"

    @property
    def log_file(self) -> Path:
        """Where mosquitto logs (connections included)."""
        return self.directory / "mosquitto.log"

    def log(self) -> str:
        """Everything mosquitto logged so far."""
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""

    def client_context(self) -> ssl.SSLContext:
        """A context for simulated devices that trusts the test CA."""
        context = ssl.create_default_context(cafile=str(self.ca_file))
        if self.require_certificate:
            context.load_cert_chain(*self.client_files(self.directory, "device"))
        return context

    def client_files(self, directory: Path, name: str = HUB_USER) -> tuple[Path, Path]:
        """A client certificate and key for `name`, signed by the broker's CA, written to
        `directory` (certificate, key)."""
        issued = self.ca.issue_cert(name)
        certificate, key = directory / f"{name}-client.pem", directory / f"{name}-client.key"
        issued.cert_chain_pems[0].write_to_path(str(certificate))
        issued.private_key_pem.write_to_path(str(key))
        key.chmod(0o600)
        return certificate, key

    def write_files(self) -> None:
        """Certificates, password file, ACL and mosquitto.conf."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self.ca.cert_pem.write_to_path(str(self.ca_file))
        server = self.ca.issue_cert(HOST, "localhost")
        server.cert_chain_pems[0].write_to_path(str(self.directory / "server.pem"))
        server.private_key_pem.write_to_path(str(self.directory / "server.key"))
        passwords = self.directory / "passwords"
        passwords.write_text("".join(f"{user}:{password}\n" for user, password in USERS.items()))
        passwords.chmod(0o600)
        # -U hashes a file of user:password lines in place (no password on a command line).
        subprocess.run(["mosquitto_passwd", "-U", str(passwords)], check=True, timeout=30)
        acl = self.directory / "acl"
        acl.write_text(ACL)
        acl.chmod(0o600)
        lines = [
            "per_listener_settings false",
            "allow_anonymous false",
            f"password_file {passwords}",
            f"acl_file {acl}",
            "persistence true",
            f"persistence_location {self.directory}/",
            "autosave_interval 1",
            f"log_dest file {self.log_file}",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_type information",
            "connection_messages true",
            "user root",
            f"listener {self.port} {HOST}",
        ]
        if self.tls:
            lines += [
                f"cafile {self.ca_file}",
                f"certfile {self.directory / 'server.pem'}",
                f"keyfile {self.directory / 'server.key'}",
                "tls_version tlsv1.2",
            ]
            if self.require_certificate:
                lines.append("require_certificate true")
        conf = self.directory / "mosquitto.conf"
        conf.write_text("\n".join(lines) + "\n")
        conf.chmod(0o600)

    def start(self) -> None:
        """Start mosquitto and wait until it listens."""
        assert self.process is None or self.process.poll() is not None
        out = (self.directory / "stdout.log").open("ab")
        self.process = subprocess.Popen(
            [mosquitto_binary(), "-c", str(self.directory / "mosquitto.conf")],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        out.close()
        self.starts += 1
        wait_port(self.port, self.process, self.log_file)

    def kill(self) -> None:
        """SIGKILL: the broker is gone at once, as in a crash."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM and wait."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def make_broker(directory: Path, *, tls: bool = True, require_certificate: bool = False) -> Broker:
    """A broker with its files written, not yet started."""
    mosquitto_binary()
    broker = Broker(
        directory, free_port(), trustme.CA(), tls=tls, require_certificate=require_certificate
    )
    broker.write_files()
    return broker
