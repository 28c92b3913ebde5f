"""Listeners that exist only while an order runs: port 80 for http-01, 443 for tls-alpn-01.

CAs validate on the standard ports. A hub on 8123 answers there when the router forwards 80 or
443 to it; when the hub itself may bind the standard port, it also listens there for the few
seconds of a challenge and answers nothing but the challenge. After a privilege drop that needs
CAP_NET_BIND_SERVICE (or net.ipv4.ip_unprivileged_port_start at or below the port); without it
the bind fails, one line is logged and the hub's own port is the only way in.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import ssl
from collections.abc import Callable, Iterable

from hearth import const
from hearth.acme.challenges import ChallengeStore
from hearth.http.tls.listener import SniffingServer, bind

_LOGGER = logging.getLogger(__name__)


def standard_port(challenge: str) -> int | None:
    """Where CAs look for `challenge`, or None (dns-01 needs no listener)."""
    return {"http-01": const.ACME_HTTP_PORT, "tls-alpn-01": 443}.get(challenge)


class ChallengeListeners:
    """Challenge-only listeners on the given ports; closed when the order is over."""

    def __init__(self) -> None:
        self._servers: list[SniffingServer] = []
        self.bound: list[tuple[str, int]] = []

    async def open(
        self,
        hosts: Iterable[str],
        ports: Iterable[int],
        store: ChallengeStore,
        host_allowed: Callable[[str], bool] | None,
        *,
        required: Iterable[int] = (),
    ) -> None:
        """Listen where possible; a port that cannot be bound is logged (raised if `required`)."""
        must = frozenset(required)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)  # never used: challenge_only
        for port in ports:
            for host in hosts:
                try:
                    sockets = await bind(host, port, 64)
                except OSError as err:
                    if host == "::" and err.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
                        continue
                    if port in must:
                        raise
                    _LOGGER.info(
                        "ACME: not answering on port %d of %s during this order (%s); the CA "
                        "must reach the hub's own port",
                        port,
                        host,
                        (err.strerror or str(err)).lower(),
                    )
                    continue
                server = SniffingServer(
                    _no_http,
                    sockets,
                    context,
                    host_allowed=host_allowed,
                    challenges=store,
                    challenge_only=True,
                )
                server.start()
                self._servers.append(server)
                for sock in sockets:
                    address = sock.getsockname()
                    self.bound.append((str(address[0]), int(address[1])))

    async def close(self) -> None:
        """Stop listening and drop connections still open."""
        servers, self._servers = self._servers, []
        for server in servers:
            server.close()
        for server in servers:
            await server.wait_closed()


def _no_http() -> asyncio.Protocol:  # pragma: no cover - never called: challenge_only
    """Challenge-only listeners hand no connection to HTTP."""
    raise RuntimeError("a challenge-only listener serves no HTTP")
