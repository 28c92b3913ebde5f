"""Slow and greedy clients: deadlines for headers and bodies, a cap on connections per address.

aiohttp waits for request headers as long as the keep-alive timeout and for a body forever, and
accepts any number of connections from one address: a "slowloris" client trickling bytes over
many connections could hold the server. The request handler below adds the missing limits.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web, web_protocol
from aiohttp.http_exceptions import BadHttpMessage
from aiohttp.streams import StreamReader

from hearth import const
from hearth.http.banned_connections import ConnectionBans, connection_bans
from hearth.http.connections import ConnectionCounter, Slot, TooManyConnections, log_refusal
from hearth.http.lowlevel import predates_http10
from hearth.http.network import IPAddress, IPNetwork, NetworkSet, peer_address
from hearth.http.refusals import HUB_FULL_REPLY, REQUEST_TIMEOUT_REPLY, TOO_MANY_CONNECTIONS_REPLY

if TYPE_CHECKING:
    from hearth.bans.policy import ClientKey

_LOGGER = logging.getLogger(__name__)

__all__ = ["ConnectionCounter", "GuardedAppRunner", "GuardedRequestHandler", "SlowClientLimits"]


@dataclass(frozen=True, slots=True)
class SlowClientLimits:
    """How long a client may take, and how many connections one address may hold."""

    header_timeout: float = const.HEADER_READ_TIMEOUT
    body_timeout: float = const.BODY_READ_TIMEOUT
    max_connections: int = const.MAX_CONNECTIONS_PER_IP
    total_connections: int = const.MAX_CONNECTIONS


class GuardedRequestHandler(web_protocol.RequestHandler):
    """aiohttp's request handler with header and body deadlines and the connection caps."""

    __slots__ = ("_ban", "_bans", "_body", "_counter", "_due", "_limits", "_slot", "_timer")

    def __init__(
        self,
        manager: web.Server,
        *,
        limits: SlowClientLimits,
        counter: ConnectionCounter,
        bans: ConnectionBans | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(manager, **kwargs)
        self._limits = limits
        self._counter = counter
        self._bans = bans
        self._ban: ClientKey | None = None  # set while the peer is banned (refused right here)
        self._slot: Slot | None = None
        # When the pending headers or body are due (None: nothing is). One timer per connection
        # checks it, re-armed only when it fires early: no timer is made per request.
        self._due: float | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._body: StreamReader | None = None

    def adopt(self, slot: Slot) -> None:
        """Take over a slot counted before this handler existed (during a TLS handshake)."""
        self._slot = slot

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self._slot is None:
            peer = peer_address(transport.get_extra_info("peername"))
            try:
                self._slot = self._counter.acquire(peer)
            except TooManyConnections as refused:
                self._refuse(transport, peer, refused)
                return
        super().connection_made(transport)
        if self._bans is not None:
            self._ban = self._bans.key(peer_address(transport.get_extra_info("peername")))
        # A new connection must deliver its first request's headers in time: idle sockets
        # opened only to hold a slot are dropped after header_timeout, not keepalive_timeout.
        self._arm(self._limits.header_timeout)

    def _refuse(
        self, transport: asyncio.BaseTransport, peer: IPAddress, refused: TooManyConnections
    ) -> None:
        """Answer 503 and close without starting a request loop (nothing is held)."""
        log_refusal(self._counter, peer, refused)
        self._manager = None  # connection_lost has nothing to unregister
        self._force_close = True  # data_received ignores anything the client still sends
        if isinstance(transport, asyncio.Transport):
            transport.write(HUB_FULL_REPLY if refused.total else TOO_MANY_CONNECTIONS_REPLY)
        transport.close()

    def data_received(self, data: bytes) -> None:
        if self._ban is not None:
            self._refuse_banned(data)
            return
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

    def _refuse_banned(self, data: bytes) -> None:
        """Answer each request of a banned peer with the pre-rendered 403, parsing nothing more.

        Threat: a banned client flooding the hub. Its requests never become aiohttp requests.
        """
        bans, key, transport = self._bans, self._ban, self.transport
        if bans is None or key is None or not bans.banned(key):
            self._ban = None  # lifted or expired: from now on, served like anyone
            self.data_received(data)
            return
        if transport is None or self._parser is None or self._force_close:
            return
        secure = transport.get_extra_info("sslcontext") is not None
        answers, close = bans.answers(key, self._parser, data, secure=secure)
        if answers:
            transport.write(answers)
            # The next request is due as any request's headers are; an idle banned peer is
            # dropped then (see _check_due), long before the keep-alive timeout.
            self._arm(self._limits.header_timeout)
        if close:
            self.force_close()

    def connection_lost(self, exc: BaseException | None) -> None:
        self._disarm()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._body = None
        if self._slot is not None:
            self._slot.release()
        super().connection_lost(exc)

    async def _handle_request(
        self,
        request: web.BaseRequest,
        start_time: float | None,
        request_handler: Callable[[web.BaseRequest], Awaitable[web.StreamResponse]],
    ) -> tuple[web.StreamResponse, bool]:
        if predates_http10(request):
            # Threat: fingerprinting. aiohttp would serve `GET /path` (HTTP/0.9) and answer
            # "HTTP/0.9 200"; it is a malformed request like any other (hearth.http.lowlevel).
            request_handler = self._refuse_http09
        return await super()._handle_request(request, start_time, request_handler)

    async def _refuse_http09(self, request: web.BaseRequest) -> web.StreamResponse:
        return self.handle_error(request, 400, BadHttpMessage("no HTTP version"))

    async def shutdown(self, timeout: float | None = 15.0) -> None:  # noqa: ASYNC109
        body = self._body
        if body is not None and not body.is_eof() and self._request_in_progress:
            # The hub is stopping: a view still waiting for its request body would hold the
            # shutdown for the whole timeout. It gets 503 at once, and the connection closes.
            self._body = None
            body.set_exception(web.HTTPServiceUnavailable())
            self._lingering_time = 0.0
        await super().shutdown(timeout)

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
        if self._ban is not None:
            self.force_close()  # a banned peer gets no more time than it needs
            return
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
        self,
        handler: Any,
        *,
        limits: SlowClientLimits,
        counter: ConnectionCounter,
        bans: ConnectionBans | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(handler, **kwargs)
        self._limits = limits
        self._counter = counter
        self._bans = bans

    def __call__(self) -> web_protocol.RequestHandler:
        return GuardedRequestHandler(
            self,
            loop=self._loop,
            limits=self._limits,
            counter=self._counter,
            bans=self._bans,
            **self._kwargs,
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
        self.counter = ConnectionCounter(
            self.limits.max_connections,
            NetworkSet(exempt),
            total_limit=self.limits.total_connections,
        )

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
            # Banned peers are refused at the connection; trusted proxies never are.
            bans=connection_bans(self.app, self.counter.exempt),
            **server._kwargs,
        )
