"""Read a certificate with its private key and check that the pair can serve TLS."""

from __future__ import annotations

import ipaddress
import os
import stat
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from hearth import const

MAX_PEM_SIZE: Final = 1024 * 1024
_WEAK_HASHES: Final = (hashes.SHA1, hashes.MD5)
_SPKI: Final = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


class CertificateProblem(Exception):
    """A certificate or key cannot be used; the message says which file, why, and what to do."""

    def __init__(self, message: str, *, field: str = "ssl_certificate") -> None:
        super().__init__(message)
        self.field = field  # the `http:` key naming the file at fault


@dataclass(frozen=True, slots=True)
class CertificatePair:
    """A server certificate (with any chain after it) and its private key, as read from disk."""

    certificate_path: Path
    key_path: Path
    chain: tuple[x509.Certificate, ...]  # the leaf first
    key: PrivateKeyTypes
    raw: tuple[bytes, bytes]  # the bytes read, to notice a file that changed while loading

    @property
    def certificate(self) -> x509.Certificate:
        """The server's own certificate: the first in the file."""
        return self.chain[0]

    @property
    def not_after(self) -> datetime:
        """When the certificate expires (UTC)."""
        return self.certificate.not_valid_after_utc

    def days_left(self, now: datetime) -> float:
        """Days until expiry (negative once expired)."""
        return (self.not_after - now) / timedelta(days=1)

    def describe(self) -> str:
        """`ECDSA P-256, expires 2025-06-01 12:00 UTC` for log lines."""
        return f"{key_description(self.certificate)}, expires {when(self.not_after)}"


def when(moment: datetime) -> str:
    """A UTC timestamp to the minute, for messages."""
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def key_description(certificate: x509.Certificate) -> str:
    """`ECDSA P-256`, `RSA 2048`, `Ed25519`: the kind of key a certificate certifies."""
    public = certificate.public_key()
    if isinstance(public, ec.EllipticCurvePublicKey):
        return f"ECDSA {_CURVE_NAMES.get(public.curve.name, public.curve.name)}"
    if isinstance(public, rsa.RSAPublicKey):
        return f"RSA {public.key_size}"
    if isinstance(public, ed25519.Ed25519PublicKey):
        return "Ed25519"
    if isinstance(public, ed448.Ed448PublicKey):
        return "Ed448"
    return type(public).__name__


_CURVE_NAMES: Final = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}


def read_file(path: Path, field: str) -> bytes:
    """At most MAX_PEM_SIZE bytes of a regular file (never blocks on a FIFO or a device)."""
    what = _FILE_KINDS.get(field, field)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as err:
        raise CertificateProblem(
            f"cannot read the {what} {path}: {_reason(err)}", field=field
        ) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise CertificateProblem(f"the {what} {path} is not a regular file", field=field)
        data = b""
        while len(data) <= MAX_PEM_SIZE:
            chunk = os.read(fd, MAX_PEM_SIZE + 1 - len(data))
            if not chunk:
                break
            data += chunk
    finally:
        os.close(fd)
    if len(data) > MAX_PEM_SIZE:
        raise CertificateProblem(
            f"the {what} {path} is larger than 1 MiB; is it the right file?", field=field
        )
    return data


_FILE_KINDS: Final = {
    "ssl_certificate": "certificate file",
    "ssl_key": "key file",
    "ssl_peer_certificate": "client CA file",
}


def _reason(err: OSError) -> str:
    return (err.strerror or type(err).__name__).lower()


def read_pair(certificate_path: Path, key_path: Path) -> CertificatePair:
    """Parse both files and check that the key belongs to the certificate."""
    cert_pem = read_file(certificate_path, "ssl_certificate")
    key_pem = read_file(key_path, "ssl_key")
    try:
        chain = tuple(x509.load_pem_x509_certificates(cert_pem))
    except ValueError:
        raise CertificateProblem(
            f"the certificate file {certificate_path} holds no PEM certificate "
            "(expected -----BEGIN CERTIFICATE-----)"
        ) from None
    key = _load_key(key_pem, key_path)
    if key.public_key().public_bytes(*_SPKI) != chain[0].public_key().public_bytes(*_SPKI):
        raise CertificateProblem(
            f"the key file {key_path} does not belong to the certificate {certificate_path}",
            field="ssl_key",
        )
    return CertificatePair(certificate_path, key_path, chain, key, (cert_pem, key_pem))


def _load_key(data: bytes, path: Path) -> PrivateKeyTypes:
    try:
        return serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise CertificateProblem(
            f"the key file {path} is encrypted with a passphrase; Hearth needs the key "
            "unencrypted (protect it with file permissions, mode 0600)",
            field="ssl_key",
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise CertificateProblem(
            f"the key file {path} holds no usable PEM private key "
            "(expected -----BEGIN PRIVATE KEY----- or -----BEGIN EC PRIVATE KEY-----)",
            field="ssl_key",
        ) from None


def check_pair(pair: CertificatePair, *, now: datetime, hostnames: tuple[str, ...]) -> list[str]:
    """Raise CertificateProblem if clients would refuse the pair; return warnings otherwise."""
    cert = pair.certificate
    path = pair.certificate_path
    if now >= cert.not_valid_after_utc:
        raise CertificateProblem(
            f"the certificate {path} expired on {when(cert.not_valid_after_utc)}; renew it "
            "(`hearth cert self-signed`, or your ACME client)"
        )
    if isinstance(cert.signature_hash_algorithm, _WEAK_HASHES):
        raise CertificateProblem(
            f"the certificate {path} is signed with {cert.signature_hash_algorithm.name.upper()}, "
            "which clients refuse; get a certificate signed with SHA-256 or better"
        )
    names = dns_names(cert)
    missing = [host for host in hostnames if not host_matches(host, names)]
    if missing:
        raise CertificateProblem(
            f"the certificate {path} is not valid for {', '.join(missing)} "
            f"(http.server_host); it covers: {', '.join(names) or 'no DNS names'}"
        )
    warnings = []
    if now < cert.not_valid_before_utc:
        warnings.append(
            f"the certificate {path} is not valid before {when(cert.not_valid_before_utc)}; "
            "is this machine's clock right?"
        )
    if pair.days_left(now) <= const.CERT_EXPIRY_WARNING_DAYS:
        warnings.append(
            f"the certificate {path} expires in {max(pair.days_left(now), 0):.0f} day(s), "
            f"on {when(cert.not_valid_after_utc)}; renew it soon"
        )
    return warnings


def dns_names(cert: x509.Certificate) -> list[str]:
    """The DNS names in the subjectAltName (clients ignore the subject's common name)."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [name.lower() for name in san.get_values_for_type(x509.DNSName)]


def host_matches(host: str, names: list[str]) -> bool:
    """Whether a DNS name is covered by a SAN entry (a wildcard covers one left-most label)."""
    wanted = host.lower().removesuffix(".")
    for name in names:
        pattern = name.removesuffix(".")
        if pattern == wanted:
            return True
        if pattern.startswith("*.") and "." in wanted:
            label, rest = wanted.split(".", 1)
            if label and rest == pattern[2:]:
                return True
    return False


def hostnames_to_check(server_hosts: list[str]) -> tuple[str, ...]:
    """The `server_host` entries that are names: clients use those to reach the hub.

    Addresses are skipped: a hub bound to 192.168.1.10 is usually reached by a DNS name (through
    a port forward), and no public CA issues certificates for private addresses.
    """
    names = []
    for host in server_hosts:
        try:
            ipaddress.ip_address(host)
        except ValueError:
            names.append(host)
    return tuple(names)
