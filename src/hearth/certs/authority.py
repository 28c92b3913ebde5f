"""A local certificate authority and the short-lived ECDSA server certificates it issues."""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from hearth import const
from hearth.privileges.ownership import match_directory_owner

CA_CERTIFICATE: Final = "ca.crt"
CA_KEY: Final = "ca.key"
SERVER_CERTIFICATE: Final = "server.crt"
SERVER_KEY: Final = "server.key"
# Certificates dated a little in the past work on clients whose clock is slightly behind.
BACKDATE: Final = timedelta(minutes=5)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class AuthorityProblem(Exception):
    """The certificate authority cannot issue what was asked; the message says what to do."""


@dataclass(frozen=True, slots=True)
class Hosts:
    """The names and addresses a certificate is for, in the order given."""

    names: tuple[str, ...]
    addresses: tuple[IPAddress, ...]

    @classmethod
    def parse(cls, values: list[str]) -> Hosts:
        """Split `--host` values into DNS names and IP addresses; raise ValueError on others."""
        names: list[str] = []
        addresses: list[IPAddress] = []
        for value in values:
            try:
                address = ipaddress.ip_address(value)
            except ValueError:
                name = value.lower().removesuffix(".")
                if not _is_dns_name(name):
                    raise ValueError(f"not a host name or IP address: {value!r}") from None
                if name not in names:
                    names.append(name)
            else:
                if address not in addresses:
                    addresses.append(address)
        if not names and not addresses:
            raise ValueError("give at least one --host")
        return cls(tuple(names), tuple(addresses))

    def general_names(self) -> list[x509.GeneralName]:
        """subjectAltName entries."""
        return [*map(x509.DNSName, self.names), *map(x509.IPAddress, self.addresses)]

    def first(self) -> str:
        """The name shown as the certificate's subject."""
        return self.names[0] if self.names else str(self.addresses[0])


def _is_dns_name(name: str) -> bool:
    labels = name.split(".")
    allowed = set("abcdefghijklmnopqrstuvwxyz0123456789-")
    return (
        0 < len(name) <= 253
        and not labels[-1].isdigit()
        and all(
            0 < len(label) <= 63
            and set(label) <= allowed
            and not label.startswith("-")
            and not label.endswith("-")
            for label in labels
        )
    )


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 fingerprint as colon-separated hex pairs, as phones and browsers show it."""
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def new_authority(
    hosts: Hosts, now: datetime
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A CA that may only certify `hosts` (name constraints), so a stolen CA key cannot be used
    to impersonate other sites to the phones and browsers that trust it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, f"Hearth local CA {secrets.token_hex(4)}")]
    )
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now - BACKDATE + timedelta(days=const.LOCAL_CA_LIFETIME_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(_name_constraints(hosts), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _name_constraints(hosts: Hosts) -> x509.NameConstraints:
    """Permit exactly `hosts`. A name type absent from the permitted list would be unrestricted
    (RFC 5280, 4.2.1.10), so a CA made for addresses only permits just the reserved `invalid`
    domain, and one made for names only excludes every address."""
    permitted: list[x509.GeneralName] = [
        *map(x509.DNSName, hosts.names or ("invalid",)),
        *(x509.IPAddress(ipaddress.ip_network(address)) for address in hosts.addresses),
    ]
    excluded: list[x509.GeneralName] | None = None
    if not hosts.addresses:
        excluded = [
            x509.IPAddress(ipaddress.ip_network("0.0.0.0/0")),
            x509.IPAddress(ipaddress.ip_network("::/0")),
        ]
    return x509.NameConstraints(permitted_subtrees=permitted, excluded_subtrees=excluded)


def authority_covers(ca: x509.Certificate, hosts: Hosts) -> bool:
    """Whether the CA's name constraints allow a certificate for every one of `hosts`."""
    try:
        constraints = ca.extensions.get_extension_for_class(x509.NameConstraints).value
    except x509.ExtensionNotFound:
        return True
    permitted = constraints.permitted_subtrees or []
    dns = [n.value.lower() for n in permitted if isinstance(n, x509.DNSName)]
    networks = [
        n.value
        for n in permitted
        if isinstance(n, x509.IPAddress)
        and isinstance(n.value, ipaddress.IPv4Network | ipaddress.IPv6Network)
    ]
    names_ok = all(any(name == d or name.endswith("." + d) for d in dns) for name in hosts.names)
    addresses_ok = all(
        any(address in network for network in networks) for address in hosts.addresses
    )
    return names_ok and addresses_ok


def issue_server_certificate(
    ca: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey, hosts: Hosts, now: datetime
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """An ECDSA P-256 certificate for `hosts`, valid 90 days (the modern profile's maximum)."""
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key()
    start = now - BACKDATE
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts.first())]))
        .issuer_name(ca.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=const.SELF_SIGNED_LIFETIME_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        # The subject is not empty, so the SAN is not critical (RFC 5280, 4.2.1.6).
        .add_extension(x509.SubjectAlternativeName(hosts.general_names()), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return cert, key


@dataclass(frozen=True, slots=True)
class Issued:
    """What `write_self_signed` wrote."""

    ca_certificate: Path
    certificate: Path
    key: Path
    ca: x509.Certificate
    server: x509.Certificate
    ca_created: bool


def write_self_signed(directory: Path, hosts: Hosts, *, now: datetime, new_ca: bool) -> Issued:
    """Create (or reuse) the local CA in `directory` and issue a fresh server certificate."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    ca_path, ca_key_path = directory / CA_CERTIFICATE, directory / CA_KEY
    existing = None if new_ca else _read_authority(ca_path, ca_key_path)
    if existing is not None and not authority_covers(existing[0], hosts):
        raise AuthorityProblem(
            f"the local CA in {ca_path} may not certify every host asked for (its name "
            "constraints list the hosts it was made for); run again with --new-ca and every "
            "host you need, then trust the new CA on your devices"
        )
    ca_created = existing is None
    ca, ca_key = existing if existing is not None else new_authority(hosts, now)
    if ca_created:
        write_private(ca_key_path, _key_pem(ca_key))
        write_public(ca_path, ca.public_bytes(serialization.Encoding.PEM))
    server, server_key = issue_server_certificate(ca, ca_key, hosts, now)
    cert_path, key_path = directory / SERVER_CERTIFICATE, directory / SERVER_KEY
    # Key first: a hub polling for changes sees a pair that matches once the certificate lands.
    write_private(key_path, _key_pem(server_key))
    write_public(cert_path, server.public_bytes(serialization.Encoding.PEM))
    return Issued(ca_path, cert_path, key_path, ca, server, ca_created)


def _read_authority(
    cert_path: Path, key_path: Path
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None:
    if not cert_path.exists() and not key_path.exists():
        return None
    try:
        ca = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as err:
        raise AuthorityProblem(
            f"the local CA in {cert_path.parent} is unreadable ({type(err).__name__}); "
            "run again with --new-ca to replace it"
        ) from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise AuthorityProblem(f"{key_path} is not an ECDSA key; run again with --new-ca")
    return ca, key


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def write_private(path: Path, data: bytes) -> None:
    """Replace `path` atomically with a file only its owner can read (0600 from the start)."""
    _write_atomic(path, data, 0o600)


def write_public(path: Path, data: bytes) -> None:
    """Replace `path` atomically with a world-readable file (certificates are public)."""
    _write_atomic(path, data, 0o644)


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
    try:
        with os.fdopen(fd, "wb") as file:
            match_directory_owner(file.fileno(), path.parent)
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temp, mode)  # the umask may have removed bits we want (0644)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
