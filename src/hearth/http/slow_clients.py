"""Slow and greedy clients: deadlines for headers and bodies, a cap on connections per address.

aiohttp waits for request headers as long as the keep-alive timeout and for a body forever, and
accepts any number of connections from one address: a "slowloris" client trickling bytes over
many connections could hold the server. The request handler below adds the missing limits.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from ipaddress import IPv6Address, IPv6Network
from typing import Any, Final

from aiohttp import web, web_protocol
from aiohttp.streams import StreamReader

from hearth import const
from hearth.http.headers import BASE_HEADERS
from hearth.http.log_limit import LogLimiter
from hearth.http.network import (
    LOCAL_NETWORKS,
    IPAddress,
    IPNetwork,
    NetworkSet,
    peer_address,
)
from hearth.http.view import json_bytes

_LOGGER = logging.getLogger(__name__)

ConnectionKey = IPAddress | IPv6Network
_LOCAL: Final = NetworkSet(LOCAL_NETWORKS)


def raw_reply(status: int, reason: str, message: str, *extra: str) -> bytes:
    """A complete HTTP/1.1 response, for when no request object exists (yet) to answer."""
    body = json_bytes({"message": message})
    lines = [
        f"HTTP/1.1 {status} {reason}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        "Connection: close",
        *(f"{name}: {value}" for name, value in BASE_HEADERS.items()),
        *extra,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + body


REQUEST_TIMEOUT_REPLY: Final = raw_reply(
    408, "Request Timeout", "The request headers did not arrive in time."
)
TOO_MANY_CONNECTIONS_REPLY: Final = raw_reply(
    503,
    "Service Unavailable",
    "Too many connections from your address.",
    f"Retry-After: {int(const.HEADER_READ_TIMEOUT)}",
)


@dataclass(frozen=True, slots=True)
class SlowClientLimits:
    """How long a client may take, and how many connections one address may hold."""

    header_timeout: float = const.HEADER_READ_TIMEOUT
    body_timeout: float = const.BODY_READ_TIMEOUT
    max_connections: int = const.MAX_CONNECTIONS_PER_IP


@dataclass
class ConnectionCounter:
    """Open connections per client address; trusted proxies carry many clients and are exempt."""

    limit: int
    exempt: NetworkSet = field(default_factory=NetworkSet)
    counts: dict[ConnectionKey, int] = field(default_factory=dict)
    warned: LogLimiter = field(default_factory=LogLimiter)

    @staticmethod
    def key(address: IPAddress) -> ConnectionKey:
        """The counted unit: an address, or a whole /64 for a remote IPv6 client."""
        # Threat: one remote IPv6 host has a /64 of addresses to spread its connections over.
        # Local IPv6 devices share one /64, so there every address counts on its own.
        if isinstance(address, IPv6Address) and address not in _LOCAL:
            return IPv6Network((int(address) >> 64 << 64, 64))
        return address

    def acquire(self, address: IPAddress) -> ConnectionKey | None:
        """Count a new connection; None when it is exempt. OverflowError when over the cap."""
        if address in self.exempt:
            return None
        key = self.key(address)
        count = self.counts.get(key, 0)
        if count >= self.limit:
            raise OverflowError(key)
        self.counts[key] = count + 1
        return key

    def release(self, key: ConnectionKey) -> None:
        """Forget one connection of `key`."""
        count = self.counts.get(key, 0) - 1
        if count > 0:
            self.counts[key] = count
        else:
            self.counts.pop(key, None)


class GuardedRequestHandler(web_protocol.RequestHandler):
    """aiohttp's request handler with header and body deadlines and the per-address cap."""

    __slots__ = ("_body", "_counted", "_counter", "_due", "_limits", "_timer")

    def __init__(
        self,
        manager: web.Server,
        *,
        limits: SlowClientLimits,
        counter: ConnectionCounter,
        **kwargs: Any,
    ) -> None:
        super().__init__(manager, **kwargs)
        self._limits = limits
        self._counter = counter
        self._counted: ConnectionKey | None = None
        # When the pending headers or body are due (None: nothing is). One timer per connection
        # checks it, re-armed only when it fires early: no timer is made per request.
        self._due: float | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._body: StreamReader | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        peer = peer_address(transport.get_extra_info("peername"))
        try:
            self._counted = self._counter.acquire(peer)
        except OverflowError:
            self._refuse(transport, peer)
            return
        super().connection_made(transport)
        # A new connection must deliver its first request's headers in time: idle sockets
        # opened only to hold a slot are dropped after header_timeout, not keepalive_timeout.
        self._arm(self._limits.header_timeout)

    def _refuse(self, transport: asyncio.BaseTransport, peer: IPAddress) -> None:
        """Answer 503 and close without starting a request loop (nothing is held)."""
        if self._counter.warned.allow(peer):
            _LOGGER.warning(
                "Refused a connection from %s: it already has %d open connections",
                peer,
                self._counter.limit,
            )
        self._manager = None  # connection_lost has nothing to unregister
        self._force_close = True  # data_received ignores anything the client still sends
        if isinstance(transport, asyncio.Transport):
            transport.write(TOO_MANY_CONNECTIONS_REPLY)
        transport.close()

    def data_received(self, data: bytes) -> None:
        if self._due is None and not self._upgraded and data:
            # The first bytes of the next request on a kept-alive connection: its headers are
            # now due (idle time before them is the keep-alive timeout's business).
            self._arm(self._limits.header_timeout)
        count = self._request_count
        super().data_received(data)
        if self._upgraded:
            self._disarm()  # a WebSocket has its own heartbeat and message limits
            self._body = None
        elif self._request_count != count:
            self._disarm()
            payload = self._messages[-1][1] if self._messages else None
            if isinstance(payload, StreamReader) and not payload.is_eof():
                self._body = payload
                self._arm(self._limits.body_timeout)
            else:
                self._body = None
        elif self._body is not None and self._body.is_eof():
            self._disarm()
            self._body = None

    def connection_lost(self, exc: BaseException | None) -> None:
        self._disarm()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._body = None
        if self._counted is not None:
            key, self._counted = self._counted, None
            self._counter.release(key)
        super().connection_lost(exc)

    def _arm(self, delay: float) -> None:
        due = self._loop.time() + delay
        self._due = due
        timer = self._timer
        if timer is None or timer.when() > due:
            if timer is not None:
                timer.cancel()
            self._timer = self._loop.call_at(due, self._check_due)

    def _disarm(self) -> None:
        self._due = None

    def _check_due(self) -> None:
        self._timer = None
        due = self._due
        if due is None or self.transport is None:
            return
        if self._loop.time() < due:  # re-armed since the timer was set: check again then
            self._timer = self._loop.call_at(due, self._check_due)
            return
        self._due = None
        if self._body is not None:
            self._body_late()
        else:
            self._headers_late()

    def _headers_late(self) -> None:
        """Threat: slowloris. Headers trickling in too slowly: answer 408 and close."""
        transport = self.transport
        if transport is None:
            return
        _LOGGER.debug("Closed a connection whose request headers were late")
        if self._request_in_progress:
            self.close()  # a pipelined request is late: finish the current answer, then close
            return
        transport.write(REQUEST_TIMEOUT_REPLY)
        self.force_close()

    def _body_late(self) -> None:
        """Threat: slow body. The view waiting for it gets 408 and the connection closes."""
        body, self._body = self._body, None
        if body is None or body.is_eof() or self.transport is None:
            return
        _LOGGER.debug("Closed a connection whose request body was late")
        if not self._request_in_progress:
            self.force_close()  # nobody is waiting for it: just stop reading
            return
        body.set_exception(web.HTTPRequestTimeout())
        self._lingering_time = 0.0  # do not wait for the rest of a body that is already late
        self.close()


class GuardedServer(web.Server):
    """aiohttp's low-level server, making GuardedRequestHandlers."""

    def __init__(
        self, handler: Any, *, limits: SlowClientLimits, counter: ConnectionCounter, **kwargs: Any
    ) -> None:
        super().__init__(handler, **kwargs)
        self._limits = limits
        self._counter = counter

    def __call__(self) -> web_protocol.RequestHandler:
        return GuardedRequestHandler(
            self, loop=self._loop, limits=self._limits, counter=self._counter, **self._kwargs
        )


class GuardedAppRunner(web.AppRunner):
    """An AppRunner whose server applies SlowClientLimits."""

    def __init__(
        self,
        app: web.Application,
        *,
        limits: SlowClientLimits | None = None,
        exempt: Iterable[IPNetwork] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(app, **kwargs)
        self.limits = limits or SlowClientLimits()
        self.counter = ConnectionCounter(self.limits.max_connections, NetworkSet(exempt))

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        # Same application, same settings: only the protocol class differs.
        return GuardedServer(
            server.request_handler,
            request_factory=server.request_factory,
            handler_cancellation=server.handler_cancellation,
            loop=asyncio.get_running_loop(),
            limits=self.limits,
            counter=self.counter,
            **server._kwargs,
        )
