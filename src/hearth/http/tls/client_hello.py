"""Read the server name and ALPN list of a TLS ClientHello, without answering it (pure).

The TLS listener peeks at the hello while a tls-alpn-01 challenge is pending: a validation
handshake offers `acme-tls/1` alone (RFC 8737, 3) and must get the challenge certificate, which
OpenSSL's callbacks cannot choose by ALPN. Whatever the bytes, the contract is: NEED_MORE, None
(not a hello we read: the connection goes to OpenSSL as usual) or a ClientHello; never an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

RECORD_HEADER: Final = 5
MAX_RECORD: Final = RECORD_HEADER + 16384  # a TLS plaintext record's largest size
_HANDSHAKE: Final = 0x16
_CLIENT_HELLO: Final = 0x01
_SERVER_NAME: Final = 0
_ALPN: Final = 16


@dataclass(frozen=True, slots=True)
class ClientHello:
    """What the hello asks for."""

    server_name: str | None
    alpn: tuple[str, ...]


NeedMore = Literal["need-more"]
NEED_MORE: Final[NeedMore] = "need-more"


class _Malformed(Exception):
    pass


class _Reader:
    def __init__(self, data: bytes) -> None:
        self._data = data
        self._at = 0

    def take(self, size: int) -> bytes:
        if size < 0 or self._at + size > len(self._data):
            raise _Malformed
        chunk = self._data[self._at : self._at + size]
        self._at += size
        return chunk

    def number(self, size: int) -> int:
        return int.from_bytes(self.take(size), "big")

    def vector(self, length_size: int) -> _Reader:
        return _Reader(self.take(self.number(length_size)))

    @property
    def done(self) -> bool:
        return self._at == len(self._data)


def record_size(data: bytes) -> int | None:
    """The size of the first record (header included), once its header has arrived."""
    if len(data) < RECORD_HEADER:
        return None
    return RECORD_HEADER + int.from_bytes(data[3:5], "big")


def parse_client_hello(data: bytes) -> ClientHello | NeedMore | None:
    """The hello in the first record of `data`; NEED_MORE until that record is complete."""
    if not data or data[0] != _HANDSHAKE:
        return None
    size = record_size(data)
    if size is None or len(data) < size:
        return NEED_MORE if size is None or size <= MAX_RECORD else None
    try:
        return _parse(_Reader(data[RECORD_HEADER:size]))
    except _Malformed:
        return None


def _parse(record: _Reader) -> ClientHello:
    if record.number(1) != _CLIENT_HELLO:
        raise _Malformed
    body = record.vector(3)  # a hello split over several records is not read here
    body.take(2 + 32)  # legacy_version, random
    body.vector(1)  # legacy_session_id
    body.vector(2)  # cipher_suites
    body.vector(1)  # legacy_compression_methods
    server_name: str | None = None
    alpn: tuple[str, ...] = ()
    if body.done:
        return ClientHello(None, ())
    extensions = body.vector(2)
    while not extensions.done:
        kind = extensions.number(2)
        data = extensions.vector(2)
        if kind == _SERVER_NAME:
            server_name = _server_name(data.vector(2))
        elif kind == _ALPN:
            alpn = _protocols(data.vector(2))
    return ClientHello(server_name, alpn)


def _server_name(names: _Reader) -> str | None:
    while not names.done:
        kind = names.number(1)
        name = names.take(names.number(2))
        if kind == 0:
            try:
                return name.decode("ascii").lower()
            except UnicodeDecodeError:
                raise _Malformed from None
    return None


def _protocols(names: _Reader) -> tuple[str, ...]:
    found = []
    while not names.done:
        raw = names.take(names.number(1))
        found.append(raw.decode("latin-1"))
    return tuple(found)
