"""Certificate reload: new connections get the new pair, open ones keep theirs, bad pairs wait."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from hearth.exceptions import ConfigError
from hearth.http.tls.reload import CertificateReloader, load_tls, signature
from tests.certs.pki import Pair, TestCA
from tests.http.tls_support import client_context, connect, handshake, settings_for

DER = serialization.Encoding.DER


@pytest.fixture(scope="module")
def ca() -> TestCA:
    return TestCA()


@pytest.fixture
def ca_file(ca: TestCA, tmp_path: Path) -> Path:
    return ca.write(tmp_path / "ca.pem")


@pytest.fixture
def live(ca: TestCA, tmp_path: Path) -> Pair:
    """The pair the server is configured with: live/server.crt and live/server.key."""
    return ca.issue(tmp_path / "live", "server")


def replace_with(new: Pair, live: Pair) -> None:
    """Install `new` over the live files the way a renewal would (a rename per file)."""
    for source, target in ((new.key_path, live.key_path), (new.cert_path, live.cert_path)):
        temp = target.with_suffix(".tmp")
        shutil.copyfile(source, temp)
        os.replace(temp, target)


def served_certificate(reloader: CertificateReloader, ca_file: Path, sni: bool = True) -> bytes:
    client = client_context(ca_file)
    if not sni:
        client.check_hostname = False
    client_side, _ = handshake(reloader.server_context, client, "localhost" if sni else None)
    der = client_side.getpeercert(binary_form=True)
    assert der is not None
    return der


def test_new_pair_is_served_after_one_quiet_poll(
    ca: TestCA, ca_file: Path, live: Pair, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    reloader = CertificateReloader(settings_for(live))
    assert served_certificate(reloader, ca_file) == live.cert.public_bytes(DER)
    assert not reloader.check(), "nothing changed"
    renewed = ca.issue(tmp_path / "renewed", "server")
    replace_with(renewed, live)
    with caplog.at_level(logging.INFO):
        assert not reloader.check(), "a change waits one poll, in case more is being written"
        assert reloader.check()
    assert "TLS certificate reloaded" in caplog.text
    assert reloader.pair.certificate == renewed.cert
    assert reloader.current_context is not reloader.server_context
    assert served_certificate(reloader, ca_file) == renewed.cert.public_bytes(DER)
    # Clients that send no server name (an address typed in a phone app) get it too.
    assert served_certificate(reloader, ca_file, sni=False) == renewed.cert.public_bytes(DER)
    assert not reloader.check()


def test_open_connection_keeps_working_with_its_certificate(
    ca: TestCA, ca_file: Path, live: Pair, tmp_path: Path
) -> None:
    reloader = CertificateReloader(settings_for(live))
    conn = connect(reloader.server_context, client_context(ca_file))
    replace_with(ca.issue(tmp_path / "renewed", "server"), live)
    reloader.check()
    assert reloader.check()
    # The old connection still carries data both ways and still shows the old certificate.
    assert conn.to_client(b"still here") == b"still here"
    assert conn.to_server(b"me too") == b"me too"
    assert conn.client.getpeercert(binary_form=True) == live.cert.public_bytes(DER)
    assert served_certificate(reloader, ca_file) != live.cert.public_bytes(DER)


def test_broken_pair_is_rejected_once_and_the_old_one_kept(
    ca: TestCA, ca_file: Path, live: Pair, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    reloader = CertificateReloader(settings_for(live))
    other = ca.issue(tmp_path / "other", "server")
    shutil.copyfile(other.key_path, live.key_path)  # a key that does not match the certificate
    with caplog.at_level(logging.INFO):
        reloader.check()
        assert not reloader.check()
        assert not reloader.check()
    rejections = [r for r in caplog.records if "not reloaded" in r.getMessage()]
    assert len(rejections) == 1, "one log line per broken pair, not one per poll"
    assert rejections[0].levelno == logging.ERROR
    assert "does not belong to the certificate" in rejections[0].getMessage()
    assert "still serving the previous one" in rejections[0].getMessage()
    assert served_certificate(reloader, ca_file) == live.cert.public_bytes(DER)
    # Fixed: the next complete pair is picked up.
    shutil.copyfile(other.cert_path, live.cert_path)
    reloader.check()
    assert reloader.check()
    assert served_certificate(reloader, ca_file) == other.cert.public_bytes(DER)


@pytest.mark.parametrize("damage", ["garbage", "empty", "missing", "expired", "rsa"])
def test_every_kind_of_broken_pair_is_rejected(
    ca: TestCA, ca_file: Path, live: Pair, tmp_path: Path, damage: str
) -> None:
    reloader = CertificateReloader(settings_for(live))
    if damage == "garbage":
        live.cert_path.write_text("not a certificate")
    elif damage == "empty":
        live.key_path.write_text("")
    elif damage == "missing":
        live.cert_path.unlink()
    else:
        start = datetime.now(UTC) - timedelta(days=100) if damage == "expired" else None
        kind = "rsa2048" if damage == "rsa" else "ec256"
        replace_with(ca.issue(tmp_path / "bad", "server", not_before=start, kind=kind), live)
    reloader.check()
    assert not reloader.check()
    assert served_certificate(reloader, ca_file) == live.cert.public_bytes(DER)


def test_certificate_written_before_its_key_is_not_an_error(
    ca: TestCA, ca_file: Path, live: Pair, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    reloader = CertificateReloader(settings_for(live))
    renewed = ca.issue(tmp_path / "renewed", "server")
    shutil.copyfile(renewed.cert_path, live.cert_path)
    with caplog.at_level(logging.INFO):
        assert not reloader.check()  # the certificate changed; its key not yet
        shutil.copyfile(renewed.key_path, live.key_path)
        assert not reloader.check()  # changed again since the last poll: wait
        assert reloader.check()
    assert "not reloaded" not in caplog.text
    assert served_certificate(reloader, ca_file) == renewed.cert.public_bytes(DER)


def test_symlinked_files_are_followed_on_every_check(
    ca: TestCA, ca_file: Path, tmp_path: Path
) -> None:
    """certbot's live/ files are symlinks into archive/; a renewal re-points them."""
    first = ca.issue(tmp_path / "archive", "cert1")
    second = ca.issue(tmp_path / "archive", "cert2")
    live = tmp_path / "live"
    live.mkdir()
    (live / "fullchain.pem").symlink_to(first.cert_path)
    (live / "privkey.pem").symlink_to(first.key_path)
    linked = Pair(first.cert, first.key, live / "fullchain.pem", live / "privkey.pem")
    reloader = CertificateReloader(settings_for(linked))
    for name, target in (("fullchain.pem", second.cert_path), ("privkey.pem", second.key_path)):
        temp = live / f"{name}.new"
        temp.symlink_to(target)
        os.replace(temp, live / name)
    reloader.check()
    assert reloader.check()
    assert served_certificate(reloader, ca_file) == second.cert.public_bytes(DER)


def test_peer_ca_change_is_picked_up(ca: TestCA, live: Pair, tmp_path: Path) -> None:
    clients = TestCA("Clients")
    peer = clients.write(tmp_path / "clients.pem")
    reloader = CertificateReloader(settings_for(live, peer_ca=peer))
    TestCA("New clients").write(peer)
    reloader.check()
    assert reloader.check()
    assert reloader.current_context.verify_mode == ssl.CERT_REQUIRED


def test_expiry_warning_once_a_day(
    ca: TestCA, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    now = [datetime.now(UTC)]
    pair = ca.issue(tmp_path, not_before=now[0] - timedelta(days=70), days=90)
    with caplog.at_level(logging.WARNING):
        reloader = CertificateReloader(settings_for(pair), clock=lambda: now[0])
    assert caplog.text.count("expires in 20 day(s)") == 0
    now[0] += timedelta(days=7)
    with caplog.at_level(logging.WARNING):
        reloader.warn_if_expiring()
        reloader.warn_if_expiring()
        now[0] += timedelta(hours=12)
        reloader.warn_if_expiring()
        now[0] += timedelta(hours=13)
        reloader.warn_if_expiring()
    warnings = [r.getMessage() for r in caplog.records if "renew it" in r.getMessage()]
    assert len(warnings) == 2, warnings
    assert "expires in 13 day(s)" in warnings[0]


def test_expiring_certificate_warns_at_startup(
    ca: TestCA, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pair = ca.issue(tmp_path, not_before=datetime.now(UTC) - timedelta(days=80), days=90)
    with caplog.at_level(logging.WARNING):
        reloader = CertificateReloader(settings_for(pair))
        reloader.warn_if_expiring()  # the daily reminder does not repeat the startup warning
    assert caplog.text.count("renew it soon") == 1
    assert "renew it\n" not in caplog.text


async def test_watch_polls_in_the_background(
    ca: TestCA, ca_file: Path, live: Pair, tmp_path: Path
) -> None:
    reloader = CertificateReloader(settings_for(live))
    task = asyncio.create_task(reloader.watch(interval=0.02))
    try:
        renewed = ca.issue(tmp_path / "renewed", "server")
        replace_with(renewed, live)
        async with asyncio.timeout(5):
            while reloader.pair.certificate != renewed.cert:
                await asyncio.sleep(0.02)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert served_certificate(reloader, ca_file) == renewed.cert.public_bytes(DER)


def test_load_tls_turns_problems_into_config_errors(ca: TestCA, tmp_path: Path) -> None:
    assert load_tls(None) is None
    rsa = ca.issue(tmp_path, kind="rsa2048")
    with pytest.raises(ConfigError) as info:
        load_tls(settings_for(rsa, "modern"))
    assert info.value.file == "configuration.yaml"
    assert info.value.key == "http.ssl_certificate"
    assert str(info.value).startswith("configuration.yaml: http.ssl_certificate: the certificate")
    other = ca.issue(tmp_path / "other")
    mismatched = Pair(rsa.cert, other.key, rsa.cert_path, other.key_path)
    with pytest.raises(ConfigError) as info:
        load_tls(settings_for(mismatched, "intermediate"))
    assert info.value.key == "http.ssl_key"


def test_signature_notices_replacement_and_absence(live: Pair) -> None:
    before = signature((live.cert_path, live.key_path))
    live.cert_path.write_bytes(live.cert_path.read_bytes())  # same content, rewritten
    os.utime(live.cert_path, ns=(1, 1))
    assert signature((live.cert_path, live.key_path)) != before
    live.key_path.unlink()
    assert signature((live.cert_path, live.key_path))[1] == (0, 0, -1, 0)
