"""The TLS listener's part in ACME: tls-alpn-01 validations and the challenge-only 404.

While a tls-alpn-01 challenge is pending, the listener reads each ClientHello in full, still by
peeking, so that OpenSSL sees all of it afterwards. A hello that offers `acme-tls/1` and nothing
else (RFC 8737, 3) is a validation: it gets the challenge certificate for its server name and
is closed once the handshake is done, or is closed at once when that name has no challenge.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Final

from hearth.acme.challenges import ALPN_PROTOCOL, ChallengeStore
from hearth.http.acme_challenge import NO_CHALLENGE
from hearth.http.refusals import raw_reply
from hearth.http.tls.client_hello import MAX_RECORD, NEED_MORE, ClientHello, parse_client_hello

_LOGGER = logging.getLogger(__name__)
_HELLO_POLL: Final = (0.005, 0.1)  # seconds between peeks at an incomplete hello: first, most


# What a listener that exists only for an order answers to every other plain-HTTP request.
NOT_FOUND_REPLY: Final = raw_reply(404, "Not Found", NO_CHALLENGE)


class _ChallengeProtocol(asyncio.Protocol):
    """A tls-alpn-01 validation: the handshake showed the certificate; nothing else is said."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.close()


async def peek_hello(conn: socket.socket, wait: float) -> ClientHello | None:
    """The ClientHello, read by peeking until its first record is complete (bounded)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    delay, most = _HELLO_POLL
    while True:
        try:
            data = conn.recv(MAX_RECORD, socket.MSG_PEEK)
        except OSError:
            return None
        hello = parse_client_hello(data)
        if hello != NEED_MORE:
            return hello if isinstance(hello, ClientHello) else None
        if not data or loop.time() >= deadline:
            return None
        # Peeked bytes keep the socket readable, so waiting for more means sleeping a little.
        await asyncio.sleep(delay)
        delay = min(delay * 2, most)


async def answer_tls_alpn(
    conn: socket.socket, store: ChallengeStore, peek_timeout: float, handshake_timeout: float
) -> bool:
    """Whether `conn` is a tls-alpn-01 validation; if so, it has been answered and closed."""
    hello = await peek_hello(conn, peek_timeout)
    if hello is None or hello.alpn != (ALPN_PROTOCOL,):
        return False
    context = store.alpn_context(hello.server_name)
    if context is None:
        # RFC 8737, 3: no challenge for that name, so no certificate and no handshake.
        _LOGGER.debug("acme-tls/1 handshake for a name without a pending challenge")
        conn.close()
        return True
    try:
        await asyncio.get_running_loop().connect_accepted_socket(
            _ChallengeProtocol, conn, ssl=context, ssl_handshake_timeout=handshake_timeout
        )
    except OSError as err:
        _LOGGER.debug("acme-tls/1 handshake failed: %s", err)
        conn.close()
    return True
