"""Reading and checking a configured certificate and key."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from hearth.certs.validate import (
    MAX_PEM_SIZE,
    CertificateProblem,
    check_pair,
    host_matches,
    hostnames_to_check,
    read_pair,
)
from tests.certs.pki import TestCA, key_pem, new_key


def now() -> datetime:
    """The time now (not at import: the suite may run for many minutes before a test)."""
    return datetime.now(UTC)


@pytest.fixture(scope="module")
def ca() -> TestCA:
    return TestCA()


def test_a_good_pair_reads_and_checks(ca: TestCA, tmp_path: Path) -> None:
    pair = ca.issue(tmp_path)
    loaded = read_pair(pair.cert_path, pair.key_path)
    assert loaded.certificate == pair.cert
    assert check_pair(loaded, now=now(), hostnames=("localhost",)) == []
    assert loaded.describe().startswith("ECDSA P-256, expires ")
    assert 89 < loaded.days_left(now()) <= 90


def test_full_chain_file_uses_the_first_certificate_as_leaf(ca: TestCA, tmp_path: Path) -> None:
    pair = ca.issue(tmp_path)
    chain = tmp_path / "fullchain.pem"
    chain.write_bytes(
        pair.cert_path.read_bytes() + ca.cert.public_bytes(serialization.Encoding.PEM)
    )
    loaded = read_pair(chain, pair.key_path)
    assert loaded.certificate == pair.cert
    assert len(loaded.chain) == 2


def test_key_of_another_certificate_is_refused(ca: TestCA, tmp_path: Path) -> None:
    one = ca.issue(tmp_path, "one")
    two = ca.issue(tmp_path, "two")
    with pytest.raises(CertificateProblem, match="does not belong to the certificate") as info:
        read_pair(one.cert_path, two.key_path)
    assert str(two.key_path) in str(info.value)
    assert info.value.field == "ssl_key"


@pytest.mark.parametrize(
    ("content", "field", "message"),
    [
        (b"", "ssl_certificate", "holds no PEM certificate"),
        (
            b"-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n",
            "ssl_certificate",
            "no PEM",
        ),
        (b"garbage", "ssl_key", "holds no usable PEM private key"),
    ],
)
def test_unreadable_content_names_the_file(
    ca: TestCA, tmp_path: Path, content: bytes, field: str, message: str
) -> None:
    pair = ca.issue(tmp_path)
    target = pair.cert_path if field == "ssl_certificate" else pair.key_path
    target.write_bytes(content)
    with pytest.raises(CertificateProblem, match=message) as info:
        read_pair(pair.cert_path, pair.key_path)
    assert str(target) in str(info.value)
    assert info.value.field == field


def test_encrypted_key_is_refused_with_the_reason(ca: TestCA, tmp_path: Path) -> None:
    pair = ca.issue(tmp_path)
    pair.key_path.write_bytes(
        pair.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"passphrase"),
        )
    )
    with pytest.raises(CertificateProblem, match="encrypted with a passphrase"):
        read_pair(pair.cert_path, pair.key_path)


def test_missing_file_and_directory_and_fifo_are_refused(ca: TestCA, tmp_path: Path) -> None:
    pair = ca.issue(tmp_path)
    with pytest.raises(CertificateProblem, match="cannot read the certificate file"):
        read_pair(tmp_path / "missing.crt", pair.key_path)
    with pytest.raises(CertificateProblem, match="is not a regular file"):
        read_pair(tmp_path, pair.key_path)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    # Threat: a FIFO in place of the key would block the hub forever on open/read.
    with pytest.raises(CertificateProblem, match="is not a regular file"):
        read_pair(pair.cert_path, fifo)


def test_oversized_file_is_refused(ca: TestCA, tmp_path: Path) -> None:
    pair = ca.issue(tmp_path)
    pair.cert_path.write_bytes(b"#" * (MAX_PEM_SIZE + 1))
    with pytest.raises(CertificateProblem, match="larger than 1 MiB"):
        read_pair(pair.cert_path, pair.key_path)


def test_expired_certificate_is_refused(ca: TestCA, tmp_path: Path) -> None:
    pair = ca.issue(tmp_path, not_before=now() - timedelta(days=100), days=90)
    loaded = read_pair(pair.cert_path, pair.key_path)
    with pytest.raises(CertificateProblem, match=r"expired on .* renew it"):
        check_pair(loaded, now=now(), hostnames=())


def test_expiry_within_fourteen_days_is_a_warning(ca: TestCA, tmp_path: Path) -> None:
    pair = ca.issue(tmp_path, not_before=now() - timedelta(days=80), days=90)
    loaded = read_pair(pair.cert_path, pair.key_path)
    warnings = check_pair(loaded, now=now(), hostnames=())
    assert len(warnings) == 1
    assert "expires in 10 day(s)" in warnings[0]
    assert check_pair(loaded, now=now() - timedelta(days=5), hostnames=()) == []


def test_not_yet_valid_is_a_warning_about_the_clock(ca: TestCA, tmp_path: Path) -> None:
    pair = ca.issue(tmp_path, not_before=now() + timedelta(days=1))
    warnings = check_pair(read_pair(pair.cert_path, pair.key_path), now=now(), hostnames=())
    assert any("clock" in warning for warning in warnings)


def test_sha1_signature_is_refused(tmp_path: Path) -> None:
    # cryptography no longer signs with SHA-1, so OpenSSL's command line makes this one.
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")
    cert, key = tmp_path / "sha1.crt", tmp_path / "sha1.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-sha1",
            "-subj",
            "/CN=localhost",
            "-days",
            "30",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    with pytest.raises(CertificateProblem, match="signed with SHA1"):
        check_pair(read_pair(cert, key), now=now(), hostnames=())


def test_server_host_names_must_be_covered(ca: TestCA, tmp_path: Path) -> None:
    pair = ca.issue(tmp_path, hosts=("hub.example.org", "*.home.example.org", "10.0.0.2"))
    loaded = read_pair(pair.cert_path, pair.key_path)
    check_pair(loaded, now=now(), hostnames=("HUB.example.org.", "hearth.home.example.org"))
    with pytest.raises(CertificateProblem, match=r"not valid for other\.example\.org") as info:
        check_pair(loaded, now=now(), hostnames=("hub.example.org", "other.example.org"))
    assert "it covers: hub.example.org, *.home.example.org" in str(info.value)


def test_no_subject_alt_name_covers_nothing(ca: TestCA, tmp_path: Path) -> None:
    pair = ca.issue(tmp_path, hosts=())
    with pytest.raises(CertificateProblem, match="covers: no DNS names"):
        check_pair(read_pair(pair.cert_path, pair.key_path), now=now(), hostnames=("hub",))


@pytest.mark.parametrize(
    ("host", "names", "expected"),
    [
        ("hub.example.org", ["hub.example.org"], True),
        ("Hub.Example.Org.", ["hub.example.org"], True),
        ("a.hub.example.org", ["*.hub.example.org"], True),
        ("hub.example.org", ["*.hub.example.org"], False),
        ("a.b.hub.example.org", ["*.hub.example.org"], False),
        ("evilhub.example.org", ["*hub.example.org"], False),
        ("hub.example.org", ["example.org"], False),
    ],
)
def test_host_matching(host: str, names: list[str], expected: bool) -> None:
    assert host_matches(host, names) is expected


def test_only_names_in_server_host_are_checked() -> None:
    assert hostnames_to_check(["0.0.0.0", "::", "192.168.1.10", "hub.local", "fd00::1"]) == (
        "hub.local",
    )


def test_key_pem_helper_round_trips() -> None:
    key = new_key("ec256")
    assert serialization.load_pem_private_key(key_pem(key), None).public_key() == key.public_key()
