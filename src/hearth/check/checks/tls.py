"""`tls`: HTTPS is on where it must be, and the certificate is current, strong and right."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa

from hearth import const
from hearth.acme.files import AcmePaths
from hearth.certs.validate import (
    CertificateProblem,
    dns_names,
    host_matches,
    hostnames_to_check,
    key_description,
    read_pair,
    when,
)
from hearth.check.context import CheckContext
from hearth.check.model import Check, Finding, Rule, Severity
from hearth.config.schema import HttpSection

_SEED_TLS = 'Securing checklist, remote access: "Protect your communication with TLS/SSL."'
_MOZILLA = "Mozilla Server Side TLS 5.7"
_RENEW = (
    "Renew it: `hearth -c {config_dir} cert acme` with http: acme: (see the acme check for why "
    "the automatic renewal failed), `hearth -c {config_dir} cert self-signed --host NAME` for "
    "Hearth's own certificate, or your ACME client (certbot renew); the hub picks it up without "
    "a restart"
)

NONE_REMOTE = Rule(
    "tls.none_remote",
    Severity.FAIL,
    "Remote access without TLS",
    _SEED_TLS,
    "Turn on HTTPS: `hearth -c {config_dir} cert self-signed --host NAME`, or put the hub behind "
    "a reverse proxy that serves HTTPS (docs/reverse-proxy.md)",
    critical=True,
)
BY_PROXY = Rule(
    "tls.by_proxy",
    Severity.INFO,
    "TLS and HSTS are left to the reverse proxy",
    _SEED_TLS + ' "Use a proxy."',
    "Make sure the proxy serves HTTPS only and sends `Strict-Transport-Security: "
    "max-age=63072000` (deploy/nginx/hearth.conf does); `hearth check --probe` cannot see it",
)
NONE_LAN = Rule(
    "tls.none_lan",
    Severity.INFO,
    "No TLS on the local network",
    "Securing checklist: \"Even if you're only using Home Assistant on a local network, you "
    'should take steps to secure your instance"; passwords and tokens cross the LAN in clear',
    "`hearth -c {config_dir} cert self-signed --host {hostname}` (add `--host` for every name "
    "and address your devices use), then trust the CA it prints on each device",
)
UNREADABLE = Rule(
    "tls.unusable",
    Severity.FAIL,
    "The certificate or key cannot be used",
    _SEED_TLS,
    "{fix}",
)
EXPIRED = Rule(
    "tls.expired",
    Severity.FAIL,
    "The certificate has expired",
    _SEED_TLS,
    _RENEW,
    critical=True,
)
EXPIRING = Rule(
    "tls.expiring",
    Severity.WARN,
    f"The certificate expires within {const.CERT_EXPIRY_WARNING_DAYS} days",
    _SEED_TLS,
    _RENEW,
)
LONG_LIFETIME = Rule(
    "tls.long_lifetime",
    Severity.WARN,
    f"The certificate is valid for more than {const.CHECK_MAX_CERT_LIFETIME_DAYS} days",
    "CA/Browser Forum Baseline Requirements 6.3.2 (398 days); " + _MOZILLA + " (90 days)",
    "Use a certificate valid for at most 398 days (Hearth's own are valid for 90): "
    "`hearth -c {config_dir} cert self-signed --host NAME`",
)
WEAK_KEY = Rule(
    "tls.weak_key",
    Severity.FAIL,
    "The certificate's key or signature is too weak",
    _MOZILLA + " (ECDSA P-256/P-384, RSA 2048+, SHA-256 signatures)",
    "Get an ECDSA P-256 certificate: `hearth -c {config_dir} cert self-signed --host NAME`",
)
SAN_MISMATCH = Rule(
    "tls.name_mismatch",
    Severity.FAIL,
    "The certificate does not cover a configured host name",
    "RFC 6125 / CA/Browser Forum: clients match names against the subjectAltName only",
    "Issue a certificate for every name: `hearth -c {config_dir} cert self-signed {hosts}`",
)
INTERMEDIATE = Rule(
    "tls.intermediate",
    Severity.INFO,
    "The intermediate TLS profile is chosen",
    'Security page: "Home Assistant uses Modern compatibility by default"; ' + _MOZILLA,
    "Keep `intermediate` only for clients older than Firefox 63, Chrome 70, Safari 12.1, "
    "Android 10 or Java 11 (they lack TLS 1.3); otherwise remove `ssl_profile` (modern)",
)

_STRONG_CURVES = frozenset({"secp256r1", "secp384r1"})
_WEAK_HASHES = (hashes.SHA1, hashes.MD5)


def key_problem(certificate: x509.Certificate, profile: str) -> str | None:
    """Why the certificate's key or signature is too weak for `profile`, or None (pure)."""
    public = certificate.public_key()
    kind = key_description(certificate)
    if isinstance(certificate.signature_hash_algorithm, _WEAK_HASHES):
        name = certificate.signature_hash_algorithm.name.upper()
        return f"it is signed with {name}, which clients refuse"
    if isinstance(public, rsa.RSAPublicKey):
        if public.key_size < 2048:
            return f"it has an {kind}-bit key; at least 2048 bits are needed"
        if profile == "modern":
            return f"it has an {kind} key, which ssl_profile: modern does not serve"
        return None
    if isinstance(public, ec.EllipticCurvePublicKey):
        if public.curve.name not in _STRONG_CURVES:
            return f"it uses the curve {public.curve.name}; use P-256 or P-384"
        return None
    if isinstance(public, dsa.DSAPublicKey):
        return "it has a DSA key, which no current client accepts"
    return f"it has an {kind} key, which the TLS profiles do not allow"


def _no_tls(ctx: CheckContext, http: HttpSection) -> Iterator[Finding]:
    values = {"config_dir": ctx.shown_dir}
    if http.remote_access and http.use_x_forwarded_for and http.trusted_proxies:
        yield BY_PROXY.found("remote access goes through trusted_proxies; the hub serves HTTP")
    elif http.remote_access:
        yield NONE_REMOTE.found(
            "remote_access is on but the hub serves plain HTTP and no proxy is configured "
            "(the hub refuses to start like this)",
            **values,
        )
    else:
        hostname = f"{socket.gethostname().split('.')[0] or 'hub'}.local"
        yield NONE_LAN.found(
            "the hub serves plain HTTP (no ssl_certificate / ssl_key)", hostname=hostname, **values
        )


def _files(ctx: CheckContext, http: HttpSection) -> tuple[Path, Path] | None:
    """The certificate and key the hub serves (its own ACME files with acme:), or None."""
    if http.acme is not None:
        paths = AcmePaths.in_config(ctx.config_dir)
        return paths.certificate, paths.key
    if http.ssl_certificate is None or http.ssl_key is None:
        return None
    return Path(http.ssl_certificate), Path(http.ssl_key)


def run(ctx: CheckContext) -> Iterator[Finding]:
    """Whether TLS is on, then the certificate: readable, current, strong, covering its names."""
    http = ctx.config.http
    files = _files(ctx, http)
    if files is None:
        yield from _no_tls(ctx, http)
        return
    values = {"config_dir": ctx.shown_dir}
    if http.ssl_profile == "intermediate":
        yield INTERMEDIATE.found("http: ssl_profile is intermediate (TLS 1.2 is accepted)")
    if http.acme is not None and not files[0].exists():
        return  # nothing issued yet: the acme check says so, and why
    try:
        pair = read_pair(*files)
    except CertificateProblem as err:
        yield UNREADABLE.found(str(err), fix="Fix or replace the file named above")
        return
    certificate = pair.certificate
    path = pair.certificate_path
    not_after = certificate.not_valid_after_utc
    if ctx.now >= not_after:
        yield EXPIRED.found(f"{path} expired on {when(not_after)}", **values)
    elif not_after - ctx.now <= timedelta(days=const.CERT_EXPIRY_WARNING_DAYS):
        days = (not_after - ctx.now).days
        yield EXPIRING.found(f"{path} expires in {days} days, on {when(not_after)}", **values)
    lifetime = (not_after - certificate.not_valid_before_utc).days
    if lifetime > const.CHECK_MAX_CERT_LIFETIME_DAYS:
        yield LONG_LIFETIME.found(f"{path} is valid for {lifetime} days", **values)
    weakness = key_problem(certificate, http.ssl_profile)
    if weakness is not None:
        yield WEAK_KEY.found(f"{path}: {weakness}", **values)
    names = dns_names(certificate)
    wanted = hostnames_to_check(http.server_host) if http.acme is None else http.acme.domains
    missing = [host for host in wanted if not host_matches(host, names)]
    if missing:
        yield SAN_MISMATCH.found(
            f"{path} does not cover {', '.join(missing)} (http.server_host); it covers "
            f"{', '.join(names) or 'no DNS names'}",
            hosts=" ".join(f"--host {host}" for host in [*names, *missing]),
            **values,
        )


CHECK = Check(
    "tls",
    "TLS",
    (
        NONE_REMOTE,
        BY_PROXY,
        NONE_LAN,
        UNREADABLE,
        EXPIRED,
        EXPIRING,
        LONG_LIFETIME,
        WEAK_KEY,
        SAN_MISMATCH,
        INTERMEDIATE,
    ),
    run,
)
