"""TLS after Mozilla's Server Side TLS guidelines 5.7: the modern and intermediate profiles."""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final

from cryptography.hazmat.primitives.asymmetric import ec, rsa

from hearth import const
from hearth.acme.files import AcmePaths
from hearth.certs.validate import (
    CertificatePair,
    CertificateProblem,
    check_pair,
    hostnames_to_check,
    key_description,
    read_file,
    read_pair,
)
from hearth.http.tls.openssl_ctx import OpenSslUnavailable, set_groups, set_tls13_ciphersuites

if TYPE_CHECKING:
    from hearth.config.schema import Config

_LOGGER = logging.getLogger(__name__)

# https://ssl-config.mozilla.org/guidelines/5.7.json
TLS13_SUITES: Final = (
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
)
GROUPS: Final = ("X25519", "P-256", "P-384")
# Intermediate's TLS 1.2 suites: ECDHE with AEAD only. Mozilla also allows DHE-RSA with ffdhe2048;
# Hearth leaves DHE out: every client of the intermediate profile speaks ECDHE, and finite-field
# DHE is slower and would need its own parameters.
TLS12_SUITES: Final = (
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-CHACHA20-POLY1305",
)
_EC_CURVES: Final = frozenset({"secp256r1", "secp384r1"})  # Mozilla's certificate_curves
MIN_RSA_BITS: Final = 2048


@dataclass(frozen=True, slots=True)
class TlsProfile:
    """One Mozilla configuration: protocol versions, suites and the certificates it accepts."""

    name: str
    minimum_version: ssl.TLSVersion
    tls12_suites: tuple[str, ...]
    allows_rsa: bool
    max_certificate_days: int  # Mozilla's maximum_certificate_lifespan (a warning, not an error)


MODERN: Final = TlsProfile("modern", ssl.TLSVersion.TLSv1_3, (), False, 90)
INTERMEDIATE: Final = TlsProfile("intermediate", ssl.TLSVersion.TLSv1_2, TLS12_SUITES, True, 366)
PROFILES: Final = {profile.name: profile for profile in (MODERN, INTERMEDIATE)}


@dataclass(frozen=True, slots=True)
class TlsSettings:
    """The TLS part of the `http:` section, with paths resolved."""

    certificate: Path
    key: Path
    peer_ca: Path | None
    profile: TlsProfile
    hostnames: tuple[str, ...]  # server_host names the certificate must cover
    # ACME (hearth.acme) writes the files: until they are there and good, handshakes are refused.
    managed: bool = False

    @classmethod
    def from_config(cls, config: Config, config_dir: Path | None = None) -> TlsSettings | None:
        """None when TLS is off."""
        http = config.http
        if http.acme is not None:
            paths = AcmePaths.in_config(config_dir or Path())
            return cls(
                certificate=paths.certificate,
                key=paths.key,
                peer_ca=http.ssl_peer_certificate,
                profile=PROFILES[http.ssl_profile],
                # Not checked on load: a certificate that misses a name newly added to `domains`
                # is still served while its replacement is ordered (hearth.acme.state).
                hostnames=(),
                managed=True,
            )
        if http.ssl_certificate is None or http.ssl_key is None:
            return None
        return cls(
            certificate=http.ssl_certificate,
            key=http.ssl_key,
            peer_ca=http.ssl_peer_certificate,
            profile=PROFILES[http.ssl_profile],
            hostnames=hostnames_to_check(http.server_host),
        )

    @property
    def files(self) -> tuple[Path, ...]:
        """Every file the context is built from (watched for changes)."""
        peer = () if self.peer_ca is None else (self.peer_ca,)
        return (self.certificate, self.key, *peer)

    @property
    def owner_files(self) -> tuple[Path, ...]:
        """The files the owner supplies (all of them, or only the client CA with ACME, whose
        own files in the configuration directory may not exist before the hub orders them)."""
        if self.managed:
            return () if self.peer_ca is None else (self.peer_ca,)
        return self.files


def tls_enabled(config: Config) -> bool:
    """Whether the hub serves HTTPS (certificate and key configured, or obtained by ACME)."""
    http = config.http
    return http.acme is not None or (http.ssl_certificate is not None and http.ssl_key is not None)


def check_key_for_profile(pair: CertificatePair, profile: TlsProfile) -> None:
    """Raise CertificateProblem for a key the profile does not allow."""
    public = pair.certificate.public_key()
    kind = key_description(pair.certificate)
    if isinstance(public, ec.EllipticCurvePublicKey) and public.curve.name in _EC_CURVES:
        return
    if isinstance(public, rsa.RSAPublicKey) and profile.allows_rsa:
        if public.key_size >= MIN_RSA_BITS:
            return
        raise CertificateProblem(
            f"the certificate {pair.certificate_path} has a {kind}-bit key; "
            f"use at least {MIN_RSA_BITS} bits, or ECDSA P-256"
        )
    if isinstance(public, rsa.RSAPublicKey):
        raise CertificateProblem(
            f"the certificate {pair.certificate_path} has an {kind} key, which ssl_profile: "
            "modern does not allow; use an ECDSA (P-256 or P-384) certificate, e.g. from "
            "`hearth cert self-signed`, or set ssl_profile: intermediate"
        )
    raise CertificateProblem(
        f"the certificate {pair.certificate_path} has an {kind} key; "
        "use an ECDSA certificate on P-256 or P-384"
    )


def build_context(settings: TlsSettings, now: datetime) -> tuple[ssl.SSLContext, CertificatePair]:
    """A server context for the profile with the configured pair; raises CertificateProblem."""
    pair = read_pair(settings.certificate, settings.key)
    check_key_for_profile(pair, settings.profile)
    for warning in check_pair(pair, now=now, hostnames=settings.hostnames):
        _LOGGER.warning("TLS: %s", warning)
    lifetime = pair.certificate.not_valid_after_utc - pair.certificate.not_valid_before_utc
    if lifetime.days > settings.profile.max_certificate_days:
        _LOGGER.warning(
            "TLS: the certificate %s is valid for %d days; Mozilla's %s profile recommends at "
            "most %d (short-lived certificates limit the damage of a leaked key)",
            pair.certificate_path,
            lifetime.days,
            settings.profile.name,
            settings.profile.max_certificate_days,
        )
    context = new_context(settings.profile)
    try:
        context.load_cert_chain(settings.certificate, settings.key)
    except (ssl.SSLError, OSError) as err:
        raise CertificateProblem(
            f"OpenSSL cannot load {settings.certificate} with {settings.key}: {_why(err)}"
        ) from None
    if settings.peer_ca is not None:
        _require_client_certificates(context, settings.peer_ca)
    # A file replaced between our checks and OpenSSL's load: what we checked is not what runs.
    now_read = (
        read_file(settings.certificate, "ssl_certificate"),
        read_file(settings.key, "ssl_key"),
    )
    if now_read != pair.raw:
        raise CertificateProblem(f"the certificate {settings.certificate} changed while loading")
    return context, pair


def _why(err: ssl.SSLError | OSError) -> str:
    reason = err.reason if isinstance(err, ssl.SSLError) else err.strerror
    return str(reason or err).lower()


def _require_client_certificates(context: ssl.SSLContext, ca_file: Path) -> None:
    """Refuse, at the handshake, every client without a certificate signed by `ca_file`."""
    if b"-----BEGIN CERTIFICATE-----" not in read_file(ca_file, "ssl_peer_certificate"):
        raise CertificateProblem(
            f"the client CA file {ca_file} holds no PEM certificate", field="ssl_peer_certificate"
        )
    try:
        context.load_verify_locations(cafile=ca_file)
    except (ssl.SSLError, OSError) as err:
        raise CertificateProblem(
            f"OpenSSL cannot load the client CA file {ca_file}: {_why(err)}",
            field="ssl_peer_certificate",
        ) from None
    context.verify_mode = ssl.CERT_REQUIRED


def new_context(profile: TlsProfile) -> ssl.SSLContext:
    """A server context for `profile` without a certificate (raises OpenSslUnavailable)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = profile.minimum_version
    context.maximum_version = ssl.TLSVersion.MAXIMUM_SUPPORTED
    # Every suite allowed is strong, so the client picks (it knows whether it has AES hardware);
    # Mozilla 5.7 sets server_preferred_order to false.
    context.options &= ~ssl.OP_CIPHER_SERVER_PREFERENCE
    context.options |= (
        ssl.OP_NO_COMPRESSION  # CRIME
        | ssl.OP_NO_RENEGOTIATION  # client-initiated renegotiation is a cheap CPU DoS
        # No stateless tickets: OpenSSL never rotates its ticket key, so one key would protect
        # every TLS 1.2 session for the life of the process (no forward secrecy). With this
        # option TLS 1.2 resumes from the in-memory session cache and TLS 1.3 issues stateful
        # tickets, whose resumption still does an (EC)DHE exchange.
        | ssl.OP_NO_TICKET
    )
    # TLS 1.2 suites (ignored by OpenSSL for TLS 1.3); modern disables TLS 1.2 altogether.
    context.set_ciphers(":".join(profile.tls12_suites or TLS12_SUITES))
    try:
        set_tls13_ciphersuites(context, TLS13_SUITES)
        set_groups(context, GROUPS)
    except OpenSslUnavailable as err:
        raise CertificateProblem(f"TLS cannot be configured safely: {err}") from None
    return context


def expiry_warning(pair: CertificatePair, now: datetime) -> str | None:
    """A warning when the certificate expires within the warning window, for periodic checks."""
    days = pair.days_left(now)
    if days > const.CERT_EXPIRY_WARNING_DAYS:
        return None
    return f"the certificate {pair.certificate_path} expires in {max(days, 0):.0f} day(s); renew it"
