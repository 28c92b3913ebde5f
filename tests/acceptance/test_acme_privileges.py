"""ACME after the privilege drop: a hub started as root with `--user` orders, writes and reads
its certificate as its own user.

The configuration lies in a checkout inside a directory the hub's user cannot enter (as under
/root), so after the switch nothing in it can be opened by its full path: the account key, the
challenge answers, the order state and the certificate are reached through the configuration
directory the hub held open before it gave root up. The CA bundle lies outside, readable.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import ssl
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509

from tests.acceptance.support import (
    CLI_TIMEOUT,
    HOST,
    RunningHub,
    free_port,
    wait_listening,
    write_config,
)
from tests.acceptance.support_acme import DOMAIN, Pebble, start_pebble
from tests.acceptance.support_root import (
    TEST_USER,
    assert_unprivileged,
    closed_checkout,
    ensure_user,
)
from tests.acceptance.support_tls import wait_for

pytestmark = [
    pytest.mark.acceptance,
    pytest.mark.skipif(os.geteuid() != 0, reason="switching users needs root"),
]
ISSUE_TIMEOUT = 30.0


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A directory the hub's user may pass through (for the CA bundle it reads by path)."""
    path = Path(tempfile.mkdtemp(prefix="hearth-acme-root-", dir="/tmp"))
    path.chmod(0o711)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def served(pebble: Pebble, port: int) -> x509.Certificate | None:
    """The certificate a verifying client gets for DOMAIN; None while handshakes are refused."""
    context = ssl.create_default_context(cadata=pebble.root().decode("ascii"))
    try:
        with (
            socket.create_connection((HOST, port), timeout=5) as raw,
            context.wrap_socket(raw, server_hostname=DOMAIN) as tls,
        ):
            der = tls.getpeercert(binary_form=True)
    except (ssl.SSLError, OSError):
        return None
    return x509.load_der_x509_certificate(der) if der else None


def wait_served(pebble: Pebble, port: int, other_than: int | None = None) -> x509.Certificate:
    found: list[x509.Certificate] = []

    def issued() -> bool:
        cert = served(pebble, port)
        found[:] = [cert] if cert is not None else []
        return cert is not None and cert.serial_number != other_than

    wait_for(issued, "the ACME certificate to be served", timeout=ISSUE_TIMEOUT)
    return found[0]


def assert_owned(acme_dir: Path, user: pwd.struct_passwd) -> None:
    for path in [acme_dir, *acme_dir.rglob("*")]:
        info = os.lstat(path)
        mode = 0o700 if stat.S_ISDIR(info.st_mode) else 0o600
        found = (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode))
        assert found == (user.pw_uid, user.pw_gid, mode), path


@pytest.mark.timeout(120)
def test_a_hub_that_gave_root_up_orders_and_serves_renewed_certificates(
    tmp_path: Path, open_dir: Path, hub_template: tuple[Path, str]
) -> None:
    user = ensure_user(TEST_USER)
    checkout = closed_checkout(tmp_path)
    shutil.copytree(hub_template[0], checkout.config_dir)
    port = free_port()
    pebble = start_pebble(open_dir / "pebble", port)
    bundle = open_dir / "pebble-ca.pem"
    shutil.copy(pebble.ca_bundle, bundle)
    bundle.chmod(0o644)
    acme = (
        "  acme:\n"
        f"    directory: {pebble.directory}\n"
        f"    domains: [{DOMAIN}]\n"
        "    challenge: http-01\n"
        f"    ca_bundle: {bundle}\n"
    )
    write_config(checkout.config_dir, port, "", acme)
    log = tmp_path / "hub.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(checkout.python), "-m", "hearth", "-c", "config", "run", "--user", TEST_USER],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=checkout.root,
            env=checkout.env(),
        )
    hub = RunningHub(checkout.config_dir, port, hub_template[1], process, log)
    try:
        wait_listening(process, port, log)
        # Ordered after the switch: account key, challenge answer, state and certificate were
        # written (atomically) by the hub's user, into the directory it may not reach by path.
        first = wait_served(pebble, port)
        assert "ACME: obtained a certificate for hub.acme.test" in hub.log()
        assert f"Switched to user {TEST_USER}" in hub.log()
        acme_dir = checkout.config_dir / "acme"
        assert_owned(acme_dir, user)
        assert list((acme_dir / "challenges").iterdir()) == []

        # Renewed by root's CLI beside the running hub: the hub answers the CA from the files
        # root writes into acme/challenges, then reads and serves the new pair.
        renewed = subprocess.run(
            [str(checkout.python), "-m", "hearth", "-c", "config", "cert", "acme",
             "--force-renew"],
            capture_output=True, text=True, timeout=CLI_TIMEOUT, cwd=checkout.root,
            env=checkout.env(), check=False,
        )  # fmt: skip
        assert renewed.returncode == 0, renewed.stderr + renewed.stdout
        second = wait_served(pebble, port, other_than=first.serial_number)
        assert second.public_key() != first.public_key()
        assert "TLS certificate reloaded" in hub.log()
        assert_owned(acme_dir, user)  # root's files were made the hub user's before taking a name
        assert_unprivileged(process.pid, user)
    finally:
        pebble.stop()
        assert hub.stop() == 0, hub.log()
        hub.assert_clean_log()
