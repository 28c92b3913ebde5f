"""ACME end to end: the real hub against Debian's pebble test CA, on loopback.

Pebble validates http-01 and tls-alpn-01 at the hub's own port (plain HTTP and acme-tls/1 both
arrive at the TLS listener); the hub trusts pebble's API through `ca_bundle`; the certificate
it serves is checked by a real TLS client against the root pebble issues from.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import ssl
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509

from tests.acceptance.ban_support import wait_for
from tests.acceptance.support import (
    HOST,
    RUN,
    RunningHub,
    free_port,
    hearth,
    hub_env,
    start_hub,
    wait_listening,
    write_config,
)
from tests.acceptance.support_acme import DOMAIN, Pebble, acme_http_config, start_pebble

pytestmark = pytest.mark.acceptance
ISSUE_TIMEOUT = 30.0


@dataclass
class AcmeHub:
    """A hub with `http: acme:` and the pebble it orders from."""

    hub: RunningHub
    pebble: Pebble

    def context(self) -> ssl.SSLContext:
        """A verifying client that trusts pebble's issuing root only."""
        return ssl.create_default_context(cadata=self.pebble.root().decode("ascii"))

    def served(self, name: str = DOMAIN) -> x509.Certificate | None:
        """The certificate a new, verifying connection gets for `name`; None when refused."""
        try:
            with (
                socket.create_connection((HOST, self.hub.port), timeout=5) as raw,
                self.context().wrap_socket(raw, server_hostname=name) as tls,
            ):
                der = tls.getpeercert(binary_form=True)
        except (ssl.SSLError, OSError):
            return None
        return x509.load_der_x509_certificate(der) if der else None

    def wait_issued(self, other_than: int | None = None) -> x509.Certificate:
        """Wait (bounded) until a pebble certificate, other than serial `other_than`, is served."""
        found: list[x509.Certificate] = []

        def issued() -> bool:
            cert = self.served()
            found[:] = [cert] if cert is not None else []
            return cert is not None and cert.serial_number != other_than

        wait_for(issued, "the ACME certificate to be served", timeout=ISSUE_TIMEOUT)
        return found[0]

    def restart(self) -> None:
        """Stop the hub and start it again on the same directory and port."""
        assert self.hub.stop() == 0, self.hub.log()
        self.hub.assert_clean_log()
        log = self.hub.log_path.with_name(self.hub.log_path.stem + "-again.log")
        process = start_hub(self.hub.config_dir, self.hub.port, log)
        self.hub = RunningHub(self.hub.config_dir, self.hub.port, "", process, log)
        wait_listening(process, self.hub.port, log)


AcmeHubFactory = Callable[..., AcmeHub]


class _ByName(http.client.HTTPSConnection):
    """HTTPS to the hub on 127.0.0.1, verified by the ordered name (no DNS for it here)."""

    def connect(self) -> None:
        raw = socket.create_connection((HOST, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=DOMAIN)  # type: ignore[attr-defined]


def _connection(hub: AcmeHub) -> http.client.HTTPSConnection:
    return _ByName(DOMAIN, hub.hub.port, context=hub.context(), timeout=10)


@pytest.fixture
def acme_hub(tmp_path: Path, hub_template: tuple[Path, str]) -> Iterator[AcmeHubFactory]:
    """Start pebble and a hub ordering from it; both stopped at teardown, the hub's log checked."""
    started: list[AcmeHub] = []

    def factory(
        challenge: str = "http-01",
        *domains: str,
        prepare: Callable[[Path, Pebble], str] | None = None,
        eab_keys: dict[str, str] | None = None,
        debug: bool = False,
    ) -> AcmeHub:
        port = free_port()
        pebble = start_pebble(tmp_path / f"pebble{len(started)}", port, eab_keys)
        config_dir = tmp_path / f"config{len(started)}"
        shutil.copytree(hub_template[0], config_dir)
        extra = prepare(config_dir, pebble) if prepare is not None else ""
        write_config(config_dir, port, "", acme_http_config(pebble, challenge, *domains) + extra)
        shutil.copy(pebble.ca_bundle, config_dir / "pebble-ca.pem")
        log = tmp_path / f"hub{len(started)}.log"
        process = start_debug_hub(config_dir, log) if debug else start_hub(config_dir, port, log)
        running = AcmeHub(RunningHub(config_dir, port, hub_template[1], process, log), pebble)
        started.append(running)
        wait_listening(process, port, log)
        return running

    yield factory
    for running in started:
        running.pebble.stop()
        code = running.hub.stop()
        assert code == 0, running.hub.log()
        running.hub.assert_clean_log()


def start_debug_hub(config_dir: Path, log_path: Path) -> subprocess.Popen[bytes]:
    """`hearth run --log-level debug`: everything the hub and its libraries would log."""
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "hearth", "-c", str(config_dir), *RUN, "--log-level", "debug"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=hub_env(),
            cwd=config_dir.parent,
        )


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.timeout(90)
def test_first_issuance_with_http_01(acme_hub: AcmeHubFactory) -> None:
    hub = acme_hub("http-01")
    cert = hub.wait_issued()
    assert [
        n.value for n in cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    ] == [DOMAIN]
    log = hub.hub.log()
    assert "no usable ACME certificate yet" in log  # handshakes were refused meanwhile
    assert "ACME: obtained a certificate for hub.acme.test (ECDSA P-256" in log
    acme_dir = hub.hub.config_dir / "acme"
    for name in ("account.key", "account.json", "certificate.pem", "certificate.key"):
        assert _mode(acme_dir / name) == 0o600, name
    assert _mode(acme_dir) == 0o700
    assert list((acme_dir / "challenges").iterdir()) == []  # answers removed once validated
    # A verifying HTTPS client reaches the API by the ordered name.
    conn = _connection(hub)
    try:
        conn.request("GET", "/api/", headers={"Authorization": "Bearer x"})
        assert conn.getresponse().status == 401
    finally:
        conn.close()


@pytest.mark.timeout(90)
def test_challenge_requests_reveal_nothing_and_never_ban(acme_hub: AcmeHubFactory) -> None:
    hub = acme_hub("http-01")
    hub.wait_issued()
    # Far more than login_attempts_threshold (5) unknown tokens and path tricks, in plain HTTP
    # (as a CA asks) and over HTTPS: every one a 404 that reveals nothing, none counted.
    targets = [
        *(f"/.well-known/acme-challenge/{'x' * 43}{n}" for n in range(8)),
        "/.well-known/acme-challenge/../acme/account.key",
        "/.well-known/acme-challenge/..%2F..%2Facme%2Faccount.key",
        "/.well-known/acme-challenge/%2e%2e/%2e%2e/acme/certificate.key",
    ]
    secret = (hub.hub.config_dir / "acme" / "certificate.key").read_bytes()
    for target in targets:
        with socket.create_connection((HOST, hub.hub.port), timeout=5) as raw:
            raw.sendall(f"GET {target} HTTP/1.1\r\nHost: {DOMAIN}\r\n\r\n".encode())
            reply = b""
            while chunk := raw.recv(65536):
                reply += chunk
        assert reply.startswith(b"HTTP/1.1 404 "), reply
        assert b"PRIVATE KEY" not in reply
        assert secret not in reply
    conn = _connection(hub)
    try:
        for target in targets[:8]:
            conn.request("GET", target)
            answer = conn.getresponse()
            assert answer.status == 404
            assert json.loads(answer.read())["message"]
        conn.request("GET", "/api/", headers={"Authorization": "Bearer x"})
        assert conn.getresponse().status == 401  # not 403: nothing above counted toward a ban
    finally:
        conn.close()
    assert "Banned" not in hub.hub.log()


_HOOK = """#!{python}
import json, sys, urllib.request
action, domain, record, value = sys.argv[1:5]
body = {{"host": record + ".", "value": value}} if action == "add" else {{"host": record + "."}}
url = "http://127.0.0.1:{port}/" + ("set-txt" if action == "add" else "clear-txt")
urllib.request.urlopen(url, data=json.dumps(body).encode(), timeout=10)
with open("hook.log", "a") as log:
    log.write(action + " " + record + "\\n")
"""


def _dns_hook(config_dir: Path, pebble: Pebble) -> str:
    """A dns_hook that sets the TXT record in challtestsrv, pebble's DNS."""
    hook = config_dir / "dns-hook.py"
    hook.write_text(_HOOK.format(python=sys.executable, port=pebble.dns_management))
    hook.chmod(0o700)
    return "    dns_hook: dns-hook.py\n"


@pytest.mark.timeout(90)
def test_first_issuance_with_dns_01_through_the_owners_hook(acme_hub: AcmeHubFactory) -> None:
    hub = acme_hub("dns-01", DOMAIN, f"'*.{DOMAIN}'", prepare=_dns_hook)
    cert = hub.wait_issued()
    assert cert.issuer != cert.subject
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sorted(names.get_values_for_type(x509.DNSName)) == sorted([DOMAIN, f"*.{DOMAIN}"])
    # The wildcard and its base name: two records under one name, both added, both removed.
    calls = (hub.hub.config_dir / "hook.log").read_text().split()
    assert calls.count("add") == calls.count("remove") == 2
    assert set(calls) == {"add", "remove", f"_acme-challenge.{DOMAIN}"}


@pytest.mark.timeout(90)
def test_first_issuance_with_tls_alpn_01(acme_hub: AcmeHubFactory) -> None:
    hub = acme_hub("tls-alpn-01")
    cert = hub.wait_issued()
    assert cert.issuer != cert.subject
    assert "tls-alpn-01" in hub.hub.config_dir.joinpath("configuration.yaml").read_text()
    assert list((hub.hub.config_dir / "acme" / "challenges").iterdir()) == []


@pytest.mark.timeout(120)
def test_forced_renewal_swaps_the_certificate_while_a_client_stays_connected(
    acme_hub: AcmeHubFactory,
) -> None:
    hub = acme_hub("http-01")
    first = hub.wait_issued()
    account = (hub.hub.config_dir / "acme" / "account.json").read_bytes()
    conn = _connection(hub)
    try:
        conn.request("GET", "/api/", headers={"Authorization": "Bearer x"})
        assert conn.getresponse().read()
        assert conn.sock is not None
        before = conn.sock.getpeercert(binary_form=True)

        # The CLI orders while the hub runs: the hub answers the challenge from acme/challenges.
        renewed = hearth(hub.hub.config_dir, "cert", "acme", "--force-renew")
        assert renewed.returncode == 0, renewed.stderr + renewed.stdout
        assert "Using the existing account" in renewed.stdout
        assert "running hub serves it to new connections" in renewed.stdout

        second = hub.wait_issued(other_than=first.serial_number)
        assert second.public_key() != first.public_key()  # a new key for every certificate
        # The connection opened before still works, on the certificate it started with.
        assert conn.sock.getpeercert(binary_form=True) == before
        conn.request("GET", "/api/", headers={"Authorization": "Bearer x"})
        assert conn.getresponse().status == 401
    finally:
        conn.close()
    assert hub.hub.process.poll() is None  # no restart
    assert (hub.hub.config_dir / "acme" / "account.json").read_bytes() == account


@pytest.mark.timeout(120)
def test_a_failing_challenge_keeps_the_old_certificate_and_the_account_across_restarts(
    acme_hub: AcmeHubFactory,
) -> None:
    hub = acme_hub("http-01")
    first = hub.wait_issued()
    acme_dir = hub.hub.config_dir / "acme"
    key, account = (acme_dir / "account.key").read_bytes(), (acme_dir / "account.json").read_text()
    config = hub.hub.config_dir / "configuration.yaml"
    # A name that does not point at the hub: the CA cannot connect for it.
    hub.pebble.set_address("wrong.acme.test", "127.0.0.2")
    config.write_text(config.read_text().replace(f"[{DOMAIN}]", f"[{DOMAIN}, wrong.acme.test]"))
    hub.restart()
    wait_for(lambda: "ACME: could not obtain" in hub.hub.log(), "the failure to be logged")
    [line] = [line for line in hub.hub.log().splitlines() if "could not obtain" in line]
    assert "wrong.acme.test" in line
    assert "validation failed" in line
    assert "still serving the previous certificate" in line
    assert "next try after" in line
    assert hub.served().serial_number == first.serial_number  # type: ignore[union-attr]

    checked = hearth(hub.hub.config_dir, "check", "--json", "--offline")
    report = json.loads(checked.stdout)
    [acme] = [check for check in report["checks"] if check["id"] == "acme"]
    assert acme["status"] == "warn"
    [finding] = [found for found in report["findings"] if found["check"] == "acme"]
    assert finding["id"] == "acme.order_failed"
    assert "wrong.acme.test" in finding["detail"]
    assert "next try after" in finding["detail"]

    # Rate-limit friendly: a restart does not order again within the hour.
    hub.restart()
    hub.wait_issued()
    state = json.loads((hub.hub.config_dir / "acme" / "state.json").read_text())
    [entry] = state["failures"].values()
    assert entry["count"] == 1
    refused = hearth(hub.hub.config_dir, "cert", "acme", "--force-renew")
    assert refused.returncode == 1
    assert "to stay within the CA's rate limits" in refused.stderr
    assert "could not obtain" not in hub.hub.log()
    # The account key is reused across restarts: the order after the first restart used the
    # same key, and the CA knew it as the same account (a new key would be a new account URL).
    assert (acme_dir / "account.key").read_bytes() == key
    assert (acme_dir / "account.json").read_text() == account


EAB_KID = "kid-1"
EAB_KEY = "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W"


def _eab(config_dir: Path, _pebble: Pebble) -> str:
    """The binding, its key from secrets.yaml as the docs ask."""
    (config_dir / "secrets.yaml").write_text(f"acme_eab: {EAB_KEY}\n")
    (config_dir / "secrets.yaml").chmod(0o600)
    return f"    eab_kid: {EAB_KID}\n    eab_hmac_key: !secret acme_eab\n"


@pytest.mark.timeout(90)
def test_external_account_binding_and_the_key_is_never_logged(acme_hub: AcmeHubFactory) -> None:
    hub = acme_hub("http-01", prepare=_eab, eab_keys={EAB_KID: EAB_KEY}, debug=True)
    hub.wait_issued()
    log = hub.hub.log()
    assert " DEBUG " in log  # the hub logged at debug level, libraries included
    assert EAB_KEY not in log
    assert EAB_KEY[:16] not in log
    assert "PRIVATE KEY" not in log


@pytest.mark.timeout(120)
def test_the_cli_stands_in_for_a_stopped_hub(
    tmp_path: Path, hub_template: tuple[Path, str]
) -> None:
    port = free_port()
    pebble = start_pebble(tmp_path / "pebble", port)
    try:
        config_dir = tmp_path / "config"
        shutil.copytree(hub_template[0], config_dir)
        write_config(config_dir, port, "", acme_http_config(pebble, "tls-alpn-01"))
        shutil.copy(pebble.ca_bundle, config_dir / "pebble-ca.pem")
        done = hearth(config_dir, "cert", "acme")
        assert done.returncode == 0, done.stderr + done.stdout
        assert f"The hub is not running: answering the CA on port {port}" in done.stdout
        assert "hub.acme.test: answering the tls-alpn-01 challenge" in done.stdout
        assert "The hub serves it when it starts." in done.stdout
        saved = (config_dir / "acme" / "certificate.pem").read_bytes()

        again = hearth(config_dir, "cert", "acme")
        assert again.returncode == 0
        assert "nothing is due" in again.stdout
        dry = hearth(config_dir, "cert", "acme", "--dry-run")
        assert dry.returncode == 0, dry.stderr + dry.stdout
        assert "nothing was saved" in dry.stdout
        assert (config_dir / "acme" / "certificate.pem").read_bytes() == saved

        log = tmp_path / "hub.log"
        process = start_hub(config_dir, port, log)
        hub = AcmeHub(RunningHub(config_dir, port, hub_template[1], process, log), pebble)
        try:
            wait_listening(process, port, log)
            served = hub.served()
            assert served is not None
            assert served == x509.load_pem_x509_certificates(saved)[0]
            assert "ACME: obtained" not in hub.hub.log()  # nothing was due
        finally:
            assert hub.hub.stop() == 0, hub.hub.log()
            hub.hub.assert_clean_log()
    finally:
        pebble.stop()
