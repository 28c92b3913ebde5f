"""The local CA and the server certificates `hearth cert self-signed` issues."""

from __future__ import annotations

import ipaddress
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from cryptography.x509 import verification
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from hearth.certs.authority import (
    AuthorityProblem,
    Hosts,
    authority_covers,
    fingerprint,
    issue_server_certificate,
    write_self_signed,
)
from hearth.certs.validate import check_pair, read_pair

NOW = datetime.now(UTC).replace(microsecond=0)


def verify(ca: x509.Certificate, leaf: x509.Certificate, host: str) -> None:
    """Path validation as a browser does it (name constraints included); raises on failure."""
    subject: x509.GeneralName
    try:
        subject = x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        subject = x509.DNSName(host)
    verifier = (
        verification.PolicyBuilder()
        .store(verification.Store([ca]))
        .time(NOW)
        .build_server_verifier(subject)
    )
    verifier.verify(leaf, [])


def test_hosts_are_split_normalised_and_deduplicated() -> None:
    hosts = Hosts.parse(["Hub.Local.", "hub.local", "192.168.1.10", "fd00::1", "192.168.1.10"])
    assert hosts.names == ("hub.local",)
    assert [str(a) for a in hosts.addresses] == ["192.168.1.10", "fd00::1"]
    assert hosts.first() == "hub.local"
    assert Hosts.parse(["10.0.0.1"]).first() == "10.0.0.1"


@pytest.mark.parametrize("bad", ["", "hub_local", "-hub", "a..b", "1.2.3.999", "x" * 64, "*.local"])
def test_bad_hosts_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="not a host name or IP address"):
        Hosts.parse([bad])


def test_no_hosts_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Hosts.parse([])


def test_self_signed_files_and_modes(tmp_path: Path) -> None:
    directory = tmp_path / "tls"
    issued = write_self_signed(directory, Hosts.parse(["localhost"]), now=NOW, new_ca=False)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in directory.iterdir()}
    assert modes == {"ca.crt": 0o644, "ca.key": 0o600, "server.crt": 0o644, "server.key": 0o600}
    assert issued.ca_created
    assert issued.certificate == directory / "server.crt"
    assert issued.key == directory / "server.key"


def test_server_certificate_profile(tmp_path: Path) -> None:
    hosts = Hosts.parse(["hub.local", "localhost", "192.168.1.10", "::1"])
    issued = write_self_signed(tmp_path, hosts, now=NOW, new_ca=False)
    leaf = issued.server
    public = leaf.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    assert public.curve.name == "secp256r1"
    assert isinstance(leaf.signature_hash_algorithm, hashes.SHA256)
    # Mozilla's modern profile allows at most 90 days; sslyze counts whole days.
    assert leaf.not_valid_after_utc - leaf.not_valid_before_utc == timedelta(days=90)
    assert leaf.not_valid_before_utc <= NOW
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert not san.critical
    assert san.value.get_values_for_type(x509.DNSName) == ["hub.local", "localhost"]
    assert [str(a) for a in san.value.get_values_for_type(x509.IPAddress)] == [
        "192.168.1.10",
        "::1",
    ]
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert list(eku.value) == [ExtendedKeyUsageOID.SERVER_AUTH]
    usage = leaf.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical
    assert usage.value.digital_signature
    assert not usage.value.key_cert_sign
    basic = leaf.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical
    assert not basic.value.ca
    assert leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "hub.local"
    for host in ("hub.local", "localhost", "192.168.1.10", "::1"):
        verify(issued.ca, leaf, host)
    # The pair passes the same checks the hub makes at startup.
    pair = read_pair(issued.certificate, issued.key)
    assert check_pair(pair, now=NOW, hostnames=("hub.local", "localhost")) == []


def test_ca_is_name_constrained_to_its_hosts(tmp_path: Path) -> None:
    """Threat: a stolen CA key, trusted by every phone in the house, minting certificates for
    other sites. The CA may only certify the hosts it was made for."""
    issued = write_self_signed(
        tmp_path, Hosts.parse(["hub.local", "192.168.1.10"]), now=NOW, new_ca=False
    )
    ca = issued.ca
    basic = ca.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical
    assert basic.value.ca
    assert basic.value.path_length == 0
    constraints = ca.extensions.get_extension_for_class(x509.NameConstraints)
    assert constraints.critical
    ca_key = (tmp_path / "ca.key").read_bytes()
    key = load_pem_private_key(ca_key, None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    evil, _ = issue_server_certificate(ca, key, Hosts.parse(["bank.example.com"]), NOW)
    with pytest.raises(verification.VerificationError):
        verify(ca, evil, "bank.example.com")
    evil_ip, _ = issue_server_certificate(ca, key, Hosts.parse(["8.8.8.8"]), NOW)
    with pytest.raises(verification.VerificationError):
        verify(ca, evil_ip, "8.8.8.8")
    sub, _ = issue_server_certificate(ca, key, Hosts.parse(["a.hub.local"]), NOW)
    verify(ca, sub, "a.hub.local")  # a dNSName constraint covers its subdomains (RFC 5280)


@pytest.mark.parametrize(
    ("made_for", "outside"),
    [(["hub.local"], "10.0.0.1"), (["10.0.0.1"], "hub.example.com")],
)
def test_a_name_type_left_out_is_not_left_open(
    tmp_path: Path, made_for: list[str], outside: str
) -> None:
    """RFC 5280: a name type with no permitted subtree is unconstrained, unless we close it."""
    issued = write_self_signed(tmp_path, Hosts.parse(made_for), now=NOW, new_ca=False)
    key = load_pem_private_key((tmp_path / "ca.key").read_bytes(), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    leaf, _ = issue_server_certificate(issued.ca, key, Hosts.parse([outside]), NOW)
    with pytest.raises(verification.VerificationError):
        verify(issued.ca, leaf, outside)
    assert not authority_covers(issued.ca, Hosts.parse([outside]))


def test_second_run_reuses_the_ca_and_renews_the_server_certificate(tmp_path: Path) -> None:
    hosts = Hosts.parse(["hub.local", "192.168.1.10"])
    first = write_self_signed(tmp_path, hosts, now=NOW, new_ca=False)
    ca_key = (tmp_path / "ca.key").read_bytes()
    later = NOW + timedelta(days=60)
    second = write_self_signed(tmp_path, Hosts.parse(["hub.local"]), now=later, new_ca=False)
    assert not second.ca_created
    assert fingerprint(second.ca) == fingerprint(first.ca)
    assert (tmp_path / "ca.key").read_bytes() == ca_key
    assert second.server.serial_number != first.server.serial_number
    assert second.server.not_valid_after_utc > first.server.not_valid_after_utc
    assert read_pair(second.certificate, second.key).certificate == second.server


def test_host_outside_the_existing_ca_needs_new_ca(tmp_path: Path) -> None:
    first = write_self_signed(tmp_path, Hosts.parse(["hub.local"]), now=NOW, new_ca=False)
    before = (tmp_path / "server.crt").read_bytes()
    with pytest.raises(AuthorityProblem, match="--new-ca"):
        write_self_signed(tmp_path, Hosts.parse(["other.local"]), now=NOW, new_ca=False)
    assert (tmp_path / "server.crt").read_bytes() == before, "nothing changes on refusal"
    replaced = write_self_signed(tmp_path, Hosts.parse(["other.local"]), now=NOW, new_ca=True)
    assert replaced.ca_created
    assert fingerprint(replaced.ca) != fingerprint(first.ca)


def test_unreadable_ca_is_reported(tmp_path: Path) -> None:
    write_self_signed(tmp_path, Hosts.parse(["hub.local"]), now=NOW, new_ca=False)
    (tmp_path / "ca.key").write_text("damaged")
    with pytest.raises(AuthorityProblem, match=r"unreadable.*--new-ca"):
        write_self_signed(tmp_path, Hosts.parse(["hub.local"]), now=NOW, new_ca=False)


def test_fingerprint_format(tmp_path: Path) -> None:
    issued = write_self_signed(tmp_path, Hosts.parse(["hub.local"]), now=NOW, new_ca=False)
    shown = fingerprint(issued.ca)
    assert len(shown.split(":")) == 32
    assert shown == issued.ca.fingerprint(hashes.SHA256()).hex(":").upper()
