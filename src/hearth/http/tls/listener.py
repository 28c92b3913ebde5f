"""The HTTPS listener: TLS for TLS clients, a clear error for plain HTTP sent to the TLS port.

asyncio's own TLS server hands every connection to OpenSSL, which drops a plain-HTTP request
without a word ("empty reply from server"). This listener peeks at the first byte instead. A
TLS handshake starts with 0x16; an HTTP request starts with an upper-case method name. A plain
page view without credentials is redirected to the same URL on https://
(hearth.http.tls.plain_http); everything else gets a `400` whose JSON body says to use https://:
that request, and any token in it, has already crossed the network in clear text, and a
redirect would hide the mistake.
Anything else goes to OpenSSL, which refuses it as any TLS server would. Peeking reads nothing,
so OpenSSL sees the whole stream.

With ACME (hearth.acme), the listener also answers the CA: a plain-HTTP request for
`/.well-known/acme-challenge/TOKEN` gets the pending answer (hearth.http.acme_challenge), and
while a tls-alpn-01 challenge is pending, a ClientHello offering only `acme-tls/1` is read in
full (still by peeking) and handed to a context serving the challenge certificate for its server
name, then closed once the handshake is done: no HTTP is ever served on such a connection.
"""

from __future__ import annotations

import asyncio
import errno
import functools
import logging
import socket
import ssl
from collections.abc import Callable
from typing import Final, Literal

from aiohttp import web
from yarl import URL

from hearth import const
from hearth.acme.challenges import ChallengeStore
from hearth.http.acme_challenge import KEY_ACME_CHALLENGES, challenge_reply
from hearth.http.connections import ConnectionCounter, Slot, TooManyConnections, log_refusal
from hearth.http.fd_limit import ACCEPT_ERRORS
from hearth.http.network import peer_address
from hearth.http.refusals import raw_reply
from hearth.http.tls.challenge import NOT_FOUND_REPLY, answer_tls_alpn
from hearth.http.tls.plain_http import MAX_HEAD, redirect_reply

_LOGGER = logging.getLogger(__name__)

PLAIN_HTTP_MESSAGE: Final = (
    "This port speaks HTTPS only: use an https:// address. The request was sent unencrypted."
)
_HTTP_START: Final = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")  # methods are upper-case tokens
_PLAIN_REPLY_TIMEOUT: Final = 5.0
_PLAIN_DRAIN_LIMIT: Final = 64 * 1024
_OUT_OF_RESOURCES: Final = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
_TLS_HANDSHAKE_RECORD: Final = 0x16
MAX_UNCOUNTED: Final = 64  # connections in progress on a listener without a ConnectionCounter


PLAIN_HTTP_REPLY: Final = raw_reply(400, "Bad Request", PLAIN_HTTP_MESSAGE)


async def bind(host: str, port: int, backlog: int) -> list[socket.socket]:
    """Listening sockets for every address `host` resolves to, as asyncio would bind them."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(
        host, port, family=socket.AF_UNSPEC, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _name, address in dict.fromkeys(infos):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
            sock.listen(backlog)
            sock.setblocking(False)
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def _close(sock: socket.socket, _task: asyncio.Task[None]) -> None:
    sock.close()


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class SniffingServer(asyncio.AbstractServer):
    """Accepts on `sockets`; TLS connections go to `protocol_factory` over `ssl_context`."""

    def __init__(
        self,
        protocol_factory: Callable[[], asyncio.Protocol],
        sockets: list[socket.socket],
        ssl_context: ssl.SSLContext,
        *,
        first_byte_timeout: float = const.TLS_FIRST_BYTE_TIMEOUT,
        handshake_timeout: float = const.TLS_HANDSHAKE_TIMEOUT,
        counter: ConnectionCounter | None = None,
        host_allowed: Callable[[str], bool] | None = None,
        challenges: ChallengeStore | None = None,
        challenge_only: bool = False,
    ) -> None:
        self._loop = asyncio.get_running_loop()
        # ACME: answer the CA's challenges; `challenge_only` (the listeners that exist only
        # during an order) answers nothing else: no redirect, no TLS but acme-tls/1.
        self._challenges = challenges
        self._challenge_only = challenge_only
        self._counter = counter
        self._host_allowed = host_allowed
        self._factory = protocol_factory
        self._sockets = sockets
        self._ssl = ssl_context
        self._first_byte_timeout = first_byte_timeout
        self._handshake_timeout = handshake_timeout
        self._accepting: list[asyncio.Task[None]] = []
        self._pending: set[asyncio.Task[None]] = set()  # connections not yet handed over

    @property
    def sockets(self) -> tuple[socket.socket, ...]:
        """The listening sockets."""
        return tuple(self._sockets)

    def start(self) -> None:
        """Start accepting on every socket."""
        for sock in self._sockets:
            task = self._loop.create_task(self._accept(sock))
            # Closed once the accept loop has stopped waiting on it (see close()).
            task.add_done_callback(functools.partial(_close, sock))
            self._accepting.append(task)

    def close(self) -> None:
        """Stop accepting; connections not yet handed over are dropped."""
        for task in (*self._accepting, *self._pending):
            task.cancel()
        if not self._accepting:
            for sock in self._sockets:
                sock.close()

    async def wait_closed(self) -> None:
        """Wait until every accept loop and pending connection has finished."""
        await asyncio.gather(*self._accepting, *self._pending, return_exceptions=True)

    def get_loop(self) -> asyncio.AbstractEventLoop:
        """The loop this server runs on."""
        return self._loop

    def is_serving(self) -> bool:
        """Whether any accept loop still runs."""
        return any(not task.done() for task in self._accepting)

    async def start_serving(self) -> None:
        """Start accepting, unless start() already did."""
        if not self._accepting:
            self.start()

    async def serve_forever(self) -> None:
        """Wait until the server is closed."""
        await self.wait_closed()

    async def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                conn, address = await self._loop.sock_accept(listener)
            except ConnectionAbortedError:
                continue
            except OSError as err:
                # Out of file descriptors or memory: pause instead of spinning (as asyncio does).
                if ACCEPT_ERRORS.allow(err.errno):
                    level = logging.ERROR if err.errno in _OUT_OF_RESOURCES else logging.WARNING
                    _LOGGER.log(level, "Cannot accept a connection: %s", err.strerror or err)
                await asyncio.sleep(1.0)
                continue
            slot = self._count(conn, address)
            if slot is False:
                continue
            if self._counter is None and len(self._pending) >= MAX_UNCOUNTED:
                conn.close()  # a listener without caps of its own still holds a bounded number
                continue
            conn.setblocking(False)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            task = self._loop.create_task(self._connection(conn, slot))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    def _count(self, conn: socket.socket, address: object) -> Slot | Literal[False] | None:
        """The connection's slot (None: nothing counts); False, and closed, when over a cap."""
        if self._counter is None:
            return None
        peer = peer_address(address)
        try:
            return self._counter.acquire(peer)
        except TooManyConnections as refused:
            # Threat: descriptor exhaustion. Connections still silent or in their handshake
            # count against the same caps as served ones; over a cap, closed at once.
            log_refusal(self._counter, peer, refused)
            conn.close()
            return False

    async def _connection(self, conn: socket.socket, slot: Slot | None) -> None:
        handed_over = False
        try:
            try:
                first = await self._peek(conn)
            except (OSError, TimeoutError):
                conn.close()  # silent client, or reset: nothing to answer
                return
            if not first:
                conn.close()
            elif first[0] in _HTTP_START:
                await self._refuse_plain_http(conn)
            elif first[0] == _TLS_HANDSHAKE_RECORD and await self._is_challenge(conn):
                pass  # answered (or refused) as a tls-alpn-01 validation
            elif self._challenge_only:
                conn.close()
            else:
                handed_over = await self._hand_over(conn, slot)
        finally:
            if slot is not None and not handed_over:
                slot.release()

    async def _peek(self, conn: socket.socket) -> bytes:
        """The first byte, left in the socket's buffer; waits at most first_byte_timeout."""
        readable: asyncio.Future[None] = self._loop.create_future()
        fd = conn.fileno()
        self._loop.add_reader(fd, _resolve, readable)
        try:
            async with asyncio.timeout(self._first_byte_timeout):
                await readable
        finally:
            self._loop.remove_reader(fd)
        return conn.recv(1, socket.MSG_PEEK)

    async def _is_challenge(self, conn: socket.socket) -> bool:
        """Whether this is a tls-alpn-01 validation; if so, it has been answered and closed."""
        store = self._challenges
        if store is None or not store.alpn_pending():
            return False
        return await answer_tls_alpn(conn, store, self._first_byte_timeout, self._handshake_timeout)

    async def _hand_over(self, conn: socket.socket, slot: Slot | None) -> bool:
        """TLS handshake, then the HTTP server owns the connection (and its slot, if it can)."""
        adopted = False

        def protocol() -> asyncio.Protocol:
            nonlocal adopted
            made = self._factory()
            adopt = getattr(made, "adopt", None)
            if slot is not None and adopt is not None:
                adopt(slot)
                adopted = True
            return made

        try:
            await self._loop.connect_accepted_socket(
                protocol,
                conn,
                ssl=self._ssl,
                ssl_handshake_timeout=self._handshake_timeout,
            )
        except OSError as err:  # ssl.SSLError, resets and handshake timeouts are all OSErrors
            _LOGGER.debug("TLS handshake failed: %s", err)
            conn.close()
            return False
        return adopted

    async def _refuse_plain_http(self, conn: socket.socket) -> None:
        """Redirect a plain page view to https://, answer 400 to the rest, and close."""
        _LOGGER.debug("Plain HTTP on the HTTPS port; answered (challenge, redirect or error)")
        try:
            async with asyncio.timeout(_PLAIN_REPLY_TIMEOUT):
                head = b""
                while b"\r\n\r\n" not in head and len(head) < MAX_HEAD:
                    chunk = await self._loop.sock_recv(conn, MAX_HEAD - len(head))
                    if not chunk:
                        break
                    head += chunk
                reply = self._plain_reply(head)
                await self._loop.sock_sendall(conn, reply)
                conn.shutdown(socket.SHUT_WR)
                # Read (and drop) what the client sent before closing: closing a socket with
                # unread data makes the kernel reset the connection, and the reply may be lost.
                drained = 0
                while drained < _PLAIN_DRAIN_LIMIT:
                    chunk = await self._loop.sock_recv(conn, 4096)
                    if not chunk:
                        break
                    drained += len(chunk)
        except (OSError, TimeoutError):
            pass
        finally:
            conn.close()

    def _plain_reply(self, head: bytes) -> bytes:
        """The challenge answer, else a redirect to https://, else the 400 (or 404)."""
        if self._challenges is not None:
            answer = challenge_reply(head, self._challenges, self._host_allowed)
            if answer is not None:
                return answer
        if self._challenge_only:
            return NOT_FOUND_REPLY
        return redirect_reply(head, self._host_allowed) or PLAIN_HTTP_REPLY


class TlsSite(web.BaseSite):
    """An aiohttp site on host:port serving HTTPS through a SniffingServer."""

    __slots__ = ("_host", "_host_allowed", "_port", "_serve_at_start", "_timeouts")

    def __init__(
        self,
        runner: web.BaseRunner,
        host: str,
        port: int,
        ssl_context: ssl.SSLContext,
        *,
        backlog: int = 128,
        first_byte_timeout: float = const.TLS_FIRST_BYTE_TIMEOUT,
        handshake_timeout: float = const.TLS_HANDSHAKE_TIMEOUT,
        host_allowed: Callable[[str], bool] | None = None,
        start_serving: bool = True,
    ) -> None:
        super().__init__(runner, ssl_context=ssl_context, backlog=backlog)
        self._host = host
        self._port = port
        self._timeouts = (first_byte_timeout, handshake_timeout)
        self._host_allowed = host_allowed
        self._serve_at_start = start_serving  # False: accept once the server's start_serving()

    @property
    def name(self) -> str:
        """The site's URL."""
        return str(URL.build(scheme="https", host=self._host, port=self._port))

    async def start(self) -> None:
        """Bind and start accepting."""
        await super().start()
        server = self._runner.server
        context = self._ssl_context
        if server is None or context is None:
            raise RuntimeError("TlsSite needs a set-up runner and an SSL context")
        sockets = await bind(self._host, self._port, self._backlog)
        first_byte, handshake = self._timeouts
        # The runner's caps (hearth.http.slow_clients.GuardedAppRunner) apply from accept on.
        counter = getattr(self._runner, "counter", None)
        sniffing = SniffingServer(
            server,
            sockets,
            context,
            first_byte_timeout=first_byte,
            handshake_timeout=handshake,
            counter=counter if isinstance(counter, ConnectionCounter) else None,
            host_allowed=self._host_allowed,
            challenges=getattr(self._runner, "app", {}).get(KEY_ACME_CHALLENGES),
        )
        if self._serve_at_start:
            sniffing.start()
        self._server = sniffing
