"""Mozilla's modern and intermediate profiles, checked with real handshakes in memory."""

from __future__ import annotations

import logging
import ssl
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hearth.certs.validate import CertificateProblem
from hearth.config.schema import Config, HttpSection
from hearth.http.tls import profiles as tls
from hearth.http.tls.openssl_ctx import OpenSslUnavailable
from hearth.http.tls.profiles import (
    GROUPS,
    TLS12_SUITES,
    TLS13_SUITES,
    TlsSettings,
    build_context,
    new_context,
    tls_enabled,
)
from tests.certs.pki import Pair, TestCA
from tests.http.tls_support import client_context, handshake, settings_for


def now() -> datetime:
    """The time now (not at import: the suite may run for many minutes before a test)."""
    return datetime.now(UTC)


PROFILE_NAMES = ("modern", "intermediate")


@pytest.fixture(scope="module")
def ca() -> TestCA:
    return TestCA()


@pytest.fixture
def ca_file(ca: TestCA, tmp_path: Path) -> Path:
    return ca.write(tmp_path / "ca.pem")


@pytest.fixture
def pair(ca: TestCA, tmp_path: Path) -> Pair:
    return ca.issue(tmp_path)


def server(pair: Pair, profile: str, **kwargs: object) -> ssl.SSLContext:
    context, _ = build_context(settings_for(pair, profile, **kwargs), now())  # type: ignore[arg-type]
    return context


def suites(context: ssl.SSLContext, protocol: str | None = None) -> set[str]:
    return {c["name"] for c in context.get_ciphers() if protocol in (None, c["protocol"])}


def test_modern_profile_settings() -> None:
    context = new_context(tls.MODERN)
    assert context.minimum_version == ssl.TLSVersion.TLSv1_3
    assert suites(context, "TLSv1.3") == set(TLS13_SUITES)


def test_intermediate_allows_only_ecdhe_aead_for_tls12() -> None:
    context = new_context(tls.INTERMEDIATE)
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    assert suites(context) == set(TLS13_SUITES) | set(TLS12_SUITES)
    for name in TLS12_SUITES:
        assert name.startswith("ECDHE-")
        assert "GCM" in name or "CHACHA20" in name


@pytest.mark.parametrize("profile", [tls.MODERN, tls.INTERMEDIATE])
def test_options(profile: tls.TlsProfile) -> None:
    options = new_context(profile).options
    assert options & ssl.OP_NO_COMPRESSION
    assert options & ssl.OP_NO_RENEGOTIATION
    assert options & ssl.OP_NO_TICKET
    assert not options & ssl.OP_CIPHER_SERVER_PREFERENCE  # Mozilla: the client chooses


def test_modern_speaks_tls13_only(pair: Pair, ca_file: Path) -> None:
    context = server(pair, "modern")
    client, _ = handshake(context, client_context(ca_file))
    assert client.version() == "TLSv1.3"
    with pytest.raises(ssl.SSLError):
        handshake(context, client_context(ca_file, version=ssl.TLSVersion.TLSv1_2))


def test_intermediate_speaks_tls12_with_ecdhe_aead(pair: Pair, ca_file: Path) -> None:
    context = server(pair, "intermediate")
    client, _ = handshake(context, client_context(ca_file, version=ssl.TLSVersion.TLSv1_2))
    assert client.version() == "TLSv1.2"
    cipher = client.cipher()
    assert cipher is not None
    assert cipher[0] in TLS12_SUITES


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_tls11_is_refused(pair: Pair, ca_file: Path, profile: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.1 is deprecated: that's it
        old = client_context(ca_file, version=ssl.TLSVersion.TLSv1_1)
        permissive = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        permissive.minimum_version = ssl.TLSVersion.TLSv1_1
    old.set_ciphers("DEFAULT:@SECLEVEL=0")  # let the client really offer TLS 1.1
    # The client really speaks TLS 1.1: a server that allows it completes the handshake.
    permissive.set_ciphers("DEFAULT:@SECLEVEL=0")
    permissive.load_cert_chain(pair.cert_path, pair.key_path)
    client, _ = handshake(permissive, old)
    assert client.version() == "TLSv1.1"
    with pytest.raises(ssl.SSLError):
        handshake(server(pair, profile), old)


@pytest.mark.parametrize("profile", PROFILE_NAMES)
@pytest.mark.parametrize(
    ("curve", "accepted"),
    [
        ("X25519", True),
        ("prime256v1", True),
        ("secp384r1", True),
        ("secp521r1", False),
        ("X448", False),
        ("ffdhe2048", False),
    ],
)
def test_key_exchange_groups(
    pair: Pair, ca_file: Path, profile: str, curve: str, accepted: bool
) -> None:
    """Exactly X25519, P-256 and P-384: OpenSSL's default list would also take the others."""
    client = client_context(ca_file, version=ssl.TLSVersion.TLSv1_3)
    client.set_ecdh_curve(curve)  # a client context offering this one group only
    if accepted:
        handshake(server(pair, profile), client)
    else:
        with pytest.raises(ssl.SSLError):
            handshake(server(pair, profile), client)
    assert GROUPS == ("X25519", "P-256", "P-384")


def test_rsa_certificate_is_a_startup_error_for_modern(ca: TestCA, tmp_path: Path) -> None:
    rsa = ca.issue(tmp_path, kind="rsa2048")
    with pytest.raises(CertificateProblem) as info:
        build_context(settings_for(rsa, "modern"), now())
    message = str(info.value)
    assert str(rsa.cert_path) in message
    assert "ECDSA" in message
    assert "ssl_profile: intermediate" in message


def test_rsa_certificate_works_with_intermediate(ca: TestCA, tmp_path: Path) -> None:
    rsa = ca.issue(tmp_path, kind="rsa2048")
    client, _ = handshake(
        server(rsa, "intermediate"),
        client_context(ca.write(tmp_path / "ca.pem"), version=ssl.TLSVersion.TLSv1_2),
    )
    cipher = client.cipher()
    assert cipher is not None
    assert cipher[0].startswith("ECDHE-RSA-")


@pytest.mark.parametrize(
    ("kind", "profile", "message"),
    [
        ("rsa1024", "intermediate", "RSA 1024-bit key; use at least 2048 bits"),
        ("ec521", "modern", "ECDSA P-521 key; use an ECDSA certificate on P-256 or P-384"),
        ("ec521", "intermediate", "P-521"),
        ("ed25519", "intermediate", "Ed25519"),
    ],
)
def test_keys_outside_the_profiles_are_refused(
    ca: TestCA, tmp_path: Path, kind: str, profile: str, message: str
) -> None:
    pair = ca.issue(tmp_path, kind=kind)
    with pytest.raises(CertificateProblem, match=message):
        build_context(settings_for(pair, profile), now())


def test_p384_certificate_is_fine_for_modern(ca: TestCA, tmp_path: Path) -> None:
    pair = ca.issue(tmp_path, kind="ec384")
    client, _ = handshake(server(pair, "modern"), client_context(ca.write(tmp_path / "ca.pem")))
    assert client.version() == "TLSv1.3"


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_client_certificates_required_with_peer_ca(
    pair: Pair, ca_file: Path, tmp_path: Path, profile: str
) -> None:
    clients = TestCA("Client CA")
    peer_ca = clients.write(tmp_path / "clients.pem")
    phone = clients.issue(tmp_path / "phone", client=True)
    stranger = TestCA("Other CA").issue(tmp_path / "other", client=True)
    context = server(pair, profile, peer_ca=peer_ca)
    for version in (ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2):
        if profile == "modern" and version == ssl.TLSVersion.TLSv1_2:
            continue
        with pytest.raises(ssl.SSLError):
            handshake(context, client_context(ca_file, version=version))
        untrusted = client_context(ca_file, version=version)
        untrusted.load_cert_chain(stranger.cert_path, stranger.key_path)
        with pytest.raises(ssl.SSLError):
            handshake(context, untrusted)
        trusted = client_context(ca_file, version=version)
        trusted.load_cert_chain(phone.cert_path, phone.key_path)
        _, server_side = handshake(context, trusted)
        assert server_side.getpeercert() is not None


def test_peer_ca_file_without_certificates_is_refused(pair: Pair, tmp_path: Path) -> None:
    empty = tmp_path / "empty.pem"
    empty.write_text("nothing here\n")
    with pytest.raises(CertificateProblem, match="holds no PEM certificate") as info:
        build_context(settings_for(pair, peer_ca=empty), now())
    assert info.value.field == "ssl_peer_certificate"


def test_long_lifetime_is_a_warning(
    ca: TestCA, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pair = ca.issue(tmp_path, days=365)
    with caplog.at_level(logging.WARNING):
        build_context(settings_for(pair, "modern"), now())
    assert "valid for 365 days; Mozilla's modern profile recommends at most 90" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        build_context(settings_for(pair, "intermediate"), now())
    assert caplog.text == ""


def test_server_host_names_are_checked(pair: Pair) -> None:
    with pytest.raises(CertificateProblem, match=r"not valid for hub\.example\.org"):
        build_context(settings_for(pair, hostnames=("hub.example.org",)), now())


def test_expired_pair_is_refused(ca: TestCA, tmp_path: Path) -> None:
    old = ca.issue(tmp_path, not_before=now() - timedelta(days=91), days=90)
    with pytest.raises(CertificateProblem, match="expired"):
        build_context(settings_for(old), now())


def test_no_silent_fallback_when_openssl_cannot_be_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def unavailable(*_args: object) -> None:
        raise OpenSslUnavailable("not here")

    monkeypatch.setattr(tls, "set_groups", unavailable)
    with pytest.raises(CertificateProblem, match="TLS cannot be configured safely: not here"):
        new_context(tls.MODERN)


def test_settings_from_config(tmp_path: Path) -> None:
    assert TlsSettings.from_config(Config()) is None
    assert not tls_enabled(Config())
    config = Config(
        http=HttpSection(
            server_host=["0.0.0.0", "hub.local"],
            ssl_certificate=tmp_path / "c",
            ssl_key=tmp_path / "k",
            ssl_profile="intermediate",
        )
    )
    assert tls_enabled(config)
    settings = TlsSettings.from_config(config)
    assert settings is not None
    assert settings.profile is tls.INTERMEDIATE
    assert settings.hostnames == ("hub.local",)
    assert settings.files == (tmp_path / "c", tmp_path / "k")
