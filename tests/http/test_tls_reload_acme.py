"""With ACME the files may not exist yet: handshakes are refused until a good pair arrives."""

from __future__ import annotations

import dataclasses
import logging
import shutil
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hearth.http.tls.reload import CertificateReloader
from tests.certs.pki import TestCA
from tests.http.tls_support import client_context, handshake, settings_for


def test_no_certificate_means_no_handshake_until_acme_writes_one(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    ca = TestCA()
    ca_file = ca.write(tmp_path / "ca.pem")
    issued = ca.issue(tmp_path / "issued")
    live = tmp_path / "acme"
    live.mkdir()
    settings = dataclasses.replace(
        settings_for(issued),
        certificate=live / "certificate.pem",
        key=live / "certificate.key",
        managed=True,
    )
    reloader = CertificateReloader(settings)
    assert reloader.pair is None
    assert "no usable ACME certificate yet (none issued)" in caplog.text
    with pytest.raises(ssl.SSLError):
        handshake(reloader.server_context, client_context(ca_file))
    reloader.warn_if_expiring()  # nothing to warn about, and no error

    shutil.copyfile(issued.key_path, settings.key)
    shutil.copyfile(issued.cert_path, settings.certificate)
    assert reloader.reload()
    assert reloader.pair is not None
    client_side, _ = handshake(reloader.server_context, client_context(ca_file))
    assert client_side.getpeercert() is not None


def test_an_expired_acme_certificate_is_not_served(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    ca = TestCA()
    old = ca.issue(tmp_path / "old", not_before=datetime.now(UTC) - timedelta(days=100), days=90)
    settings = dataclasses.replace(settings_for(old), managed=True)
    reloader = CertificateReloader(settings)
    assert reloader.pair is None
    assert "expired" in caplog.text
    with pytest.raises(ssl.SSLError):
        handshake(reloader.server_context, client_context(ca.write(tmp_path / "ca.pem")))


def test_without_acme_a_missing_file_still_stops_the_hub(tmp_path: Path) -> None:
    ca = TestCA()
    pair = ca.issue(tmp_path / "x")
    pair.cert_path.unlink()
    with pytest.raises(Exception, match="certificate"):
        CertificateReloader(settings_for(pair))


def test_the_files_a_hub_that_gives_root_up_must_read_leave_acmes_own_out(tmp_path: Path) -> None:
    """ACME's files may not exist at the switch (hearth.bootstrap.leave_root): only the
    owner's client CA is required to be readable then; without ACME, every file is."""
    ca = TestCA()
    pair = ca.issue(tmp_path / "x")
    plain = settings_for(pair)
    assert plain.owner_files == plain.files
    managed = dataclasses.replace(plain, managed=True)
    assert managed.owner_files == ((managed.peer_ca,) if managed.peer_ca is not None else ())
    with_ca = dataclasses.replace(managed, peer_ca=tmp_path / "clients.pem")
    assert with_ca.owner_files == (tmp_path / "clients.pem",)
