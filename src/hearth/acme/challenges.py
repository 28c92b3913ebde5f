"""Answers to pending challenges, kept as files so that the hub answers orders the CLI runs too.

Whoever runs the order (the hub's renewal, or `hearth cert acme` in another process) writes the
answer into acme/challenges/ before telling the CA to look, and removes it afterwards. The hub's
listeners read it from there: `http-01` answers by token, `tls-alpn-01` certificates by name.
Only names made of the characters tokens and DNS names consist of are ever looked up, so no
request can reach another file; an answer older than an hour is never served.
"""

from __future__ import annotations

import hashlib
import os
import re
import ssl
import stat
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID, ObjectIdentifier

from hearth import const
from hearth.acme.files import AcmePaths, private_pem

ALPN_PROTOCOL: Final = "acme-tls/1"  # RFC 8737
ACME_IDENTIFIER: Final = ObjectIdentifier("1.3.6.1.5.5.7.1.31")  # id-pe-acmeIdentifier
TOKEN: Final = re.compile(r"[A-Za-z0-9_-]{16,256}")  # base64url, at least 128 bits (RFC 8555 8.3)
_NAME: Final = re.compile(r"[a-z0-9.-]{1,253}")
_HTTP_PREFIX: Final = "http-01."
_ALPN_PREFIX: Final = "tls-alpn-01."
MAX_ANSWER: Final = 16 * 1024


def tls_alpn_certificate(domain: str, key_authorization: str, now: datetime) -> bytes:
    """The self-signed certificate RFC 8737 asks for, with its key, as one PEM blob."""
    key = ec.generate_private_key(ec.SECP256R1())
    digest = hashlib.sha256(key_authorization.encode("ascii")).digest()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(domain)]), critical=False)
        # The extension's value is the DER OCTET STRING of the key authorization's SHA-256.
        .add_extension(
            x509.UnrecognizedExtension(ACME_IDENTIFIER, b"\x04\x20" + digest), critical=True
        )
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM) + private_pem(key)


class ChallengeStore:
    """The pending answers in acme/challenges/; cheap to ask when nothing is pending."""

    def __init__(self, paths: AcmePaths, *, tls_alpn: bool = False) -> None:
        self._paths = paths
        self.tls_alpn = tls_alpn  # whether the TLS listener should look for acme-tls/1
        self._seen: tuple[int, int] | None = None  # the directory's (mtime, inode) last listed
        self._alpn_pending = False

    @property
    def directory(self) -> Path:
        """Where the answers are."""
        return self._paths.challenges

    # Writing (the side that runs the order).

    def put_http01(self, token: str, key_authorization: str) -> None:
        """Answer GET /.well-known/acme-challenge/`token` with `key_authorization`."""
        if not TOKEN.fullmatch(token):
            raise ValueError("the CA sent a token that is not base64url")
        self._paths.ensure()
        self._paths.write(self.directory / (_HTTP_PREFIX + token), key_authorization.encode())

    def put_tls_alpn(self, domain: str, key_authorization: str, now: datetime) -> None:
        """Answer acme-tls/1 handshakes for `domain` with the challenge certificate."""
        if not _NAME.fullmatch(domain):
            raise ValueError("not a DNS name")
        self._paths.ensure()
        pem = tls_alpn_certificate(domain, key_authorization, now)
        self._paths.write(self.directory / (_ALPN_PREFIX + domain), pem)

    def remove_http01(self, token: str) -> None:
        """Stop answering for `token`."""
        if TOKEN.fullmatch(token):
            (self.directory / (_HTTP_PREFIX + token)).unlink(missing_ok=True)

    def remove_tls_alpn(self, domain: str) -> None:
        """Stop answering acme-tls/1 for `domain`."""
        if _NAME.fullmatch(domain):
            (self.directory / (_ALPN_PREFIX + domain)).unlink(missing_ok=True)

    # Reading (the hub's listeners).

    def http01(self, token: str) -> bytes | None:
        """The key authorization for a pending `token`, or None."""
        if not TOKEN.fullmatch(token):
            return None
        return self._read(_HTTP_PREFIX + token)

    def alpn_pending(self) -> bool:
        """Whether any tls-alpn-01 answer is waiting (one stat while nothing changed)."""
        if not self.tls_alpn:
            return False
        try:
            info = os.stat(self.directory)
        except OSError:
            return False
        seen = (info.st_mtime_ns, info.st_ino)
        # File times are coarse (a clock tick): a directory changed within the last two seconds,
        # or one holding an answer (only during an order), is listed again.
        recent = time.time_ns() - info.st_mtime_ns < 2_000_000_000
        if seen != self._seen or recent or self._alpn_pending:
            self._seen = seen
            try:
                names = os.listdir(self.directory)
            except OSError:
                names = []
            self._alpn_pending = any(name.startswith(_ALPN_PREFIX) for name in names)
        return self._alpn_pending

    def alpn_context(self, server_name: str | None) -> ssl.SSLContext | None:
        """A context serving the challenge certificate for `server_name`, or None."""
        if server_name is None:
            return None
        name = server_name.lower().removesuffix(".")
        if not _NAME.fullmatch(name):
            return None
        path = self.directory / (_ALPN_PREFIX + name)
        if self._read(path.name) is None:  # a fresh regular file, not a link
            return None
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2  # RFC 8737 asks for TLS 1.2 or later
        context.set_alpn_protocols([ALPN_PROTOCOL])
        try:
            context.load_cert_chain(path)  # the certificate and its key, in one file
        except (OSError, ssl.SSLError):
            return None
        return context

    def _read(self, name: str) -> bytes | None:
        """A regular file in the directory, not older than the challenge lifetime, or None."""
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        try:
            fd = os.open(self.directory / name, flags)
        except OSError:
            return None
        try:
            info = os.fstat(fd)
            age = time.time() - info.st_mtime
            if not stat.S_ISREG(info.st_mode) or not -60 <= age <= const.ACME_CHALLENGE_LIFETIME:
                return None
            data = os.read(fd, MAX_ANSWER + 1)
        except OSError:
            return None
        finally:
            os.close(fd)
        return data if 0 < len(data) <= MAX_ANSWER else None
