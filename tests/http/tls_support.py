"""TLS handshakes in memory (no sockets) and server settings for the TLS unit tests."""

from __future__ import annotations

import contextlib
import ssl
from dataclasses import dataclass, field
from pathlib import Path

from hearth.http.tls.profiles import PROFILES, TlsSettings
from tests.certs.pki import Pair


def settings_for(
    pair: Pair,
    profile: str = "modern",
    *,
    peer_ca: Path | None = None,
    hostnames: tuple[str, ...] = (),
) -> TlsSettings:
    """TlsSettings for a written pair."""
    return TlsSettings(pair.cert_path, pair.key_path, peer_ca, PROFILES[profile], hostnames)


def client_context(ca_file: Path, *, version: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    """A verifying client context trusting `ca_file`, optionally pinned to one TLS version."""
    context = ssl.create_default_context(cafile=str(ca_file))
    if version is not None:
        context.minimum_version = version
        context.maximum_version = version
    return context


@dataclass
class MemoryConnection:
    """A client and a server SSLObject joined by memory BIOs."""

    client: ssl.SSLObject
    server: ssl.SSLObject
    bios: tuple[ssl.MemoryBIO, ...] = field(repr=False)  # client in/out, server in/out

    def pump(self) -> None:
        """Move every pending record to the other side."""
        c_in, c_out, s_in, s_out = self.bios
        s_in.write(c_out.read())
        c_in.write(s_out.read())

    def to_client(self, data: bytes) -> bytes:
        """Send from server to client; what the client read."""
        self.server.write(data)
        self.pump()
        return self.client.read(len(data))

    def to_server(self, data: bytes) -> bytes:
        """Send from client to server; what the server read."""
        self.client.write(data)
        self.pump()
        return self.server.read(len(data))


def connect(
    server: ssl.SSLContext, client: ssl.SSLContext, server_hostname: str | None = "localhost"
) -> MemoryConnection:
    """A full handshake between the two contexts; SSLError on failure."""
    bios = tuple(ssl.MemoryBIO() for _ in range(4))
    c_in, c_out, s_in, s_out = bios
    conn = MemoryConnection(
        client.wrap_bio(c_in, c_out, server_hostname=server_hostname),
        server.wrap_bio(s_in, s_out, server_side=True),
        bios,
    )
    done = [False, False]
    for _ in range(20):
        for index, side in enumerate((conn.client, conn.server)):
            if not done[index]:
                try:
                    side.do_handshake()
                    done[index] = True
                except ssl.SSLWantReadError:
                    pass
            conn.pump()
        if all(done):
            # TLS 1.3: the server checks the client's certificate only after its Finished, and
            # the client learns the verdict with the first data it reads.
            conn.server.write(b"ping")
            conn.pump()
            with contextlib.suppress(ssl.SSLWantReadError):
                conn.client.read(4)
            conn.to_server(b"pong")
            return conn
    raise AssertionError("handshake did not finish")


def handshake(
    server: ssl.SSLContext, client: ssl.SSLContext, server_hostname: str | None = "localhost"
) -> tuple[ssl.SSLObject, ssl.SSLObject]:
    """connect(), returning the client and server SSLObjects."""
    conn = connect(server, client, server_hostname)
    return conn.client, conn.server
