"""One authenticated WebSocket client: reader loop, command dispatch, one bounded writer."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

from aiohttp import WSMsgType, web

from hearth.core.context import Context
from hearth.exceptions import HearthError, Unavailable
from hearth.websocket import protocol
from hearth.websocket.outbox import Outbox
from hearth.websocket.protocol import Command, Incoming, ProtocolError, Rejected

if TYPE_CHECKING:
    from hearth.auth.manager import AuthManager
    from hearth.auth.models import RefreshToken, User
    from hearth.core.hub import Hub
    from hearth.websocket.registry import ConnectionRegistry
    from hearth.websocket.spec import CommandSpec

_LOGGER = logging.getLogger(__name__)

# Seconds a close may take (flushing, close handshake) before the TCP connection is dropped.
CLOSE_TIMEOUT: Final = 2.0
# Coroutine commands (call_service, ...) running at once on one connection.
MAX_INFLIGHT_COMMANDS: Final = 64
MAX_SUBSCRIPTIONS: Final = 1024

_connection_ids = itertools.count(1)
PENDING_REASON: Final = "Too many pending messages."


async def close_websocket(
    ws: web.WebSocketResponse, request: web.Request, code: int, reason: str
) -> None:
    """Close with a close frame if the peer cooperates in time, else drop the TCP connection."""
    if ws.closed:
        return
    try:
        async with asyncio.timeout(CLOSE_TIMEOUT):
            await ws.close(code=code, message=reason.encode())
    except (TimeoutError, ConnectionError):
        if request.transport is not None:
            request.transport.abort()


class Connection:
    """Runs commands for one user; everything it sends goes through one bounded queue."""

    def __init__(
        self,
        request: web.Request,
        ws: web.WebSocketResponse,
        *,
        hub: Hub,
        auth: AuthManager,
        user: User,
        refresh_token: RefreshToken,
        registry: ConnectionRegistry,
        commands: Mapping[str, CommandSpec[Any]],
    ) -> None:
        self.conn_id = next(_connection_ids)
        self.request = request
        self.hub = hub
        self.auth = auth
        self.user = user
        self.refresh_token = refresh_token
        self.subscriptions: dict[int, Callable[[], None]] = {}
        self.features: dict[str, int] = {}
        self.registry = registry
        self._ws = ws
        self._commands = commands
        self._parser = protocol.MessageParser()
        self._budget = registry.budget
        self._outbox = Outbox(self, self._budget)
        self._wakeup = asyncio.Event()
        self._writer_task: asyncio.Task[None] | None = None
        self._closer_task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writing = False  # a flush is under way (in the writer task or the reader)
        self._answering = False  # the reader is running commands; it sends their replies
        self._closing = False
        self._close_code = protocol.CLOSE_NORMAL
        self._close_reason = ""

    @property
    def refresh_token_id(self) -> str:
        """The refresh token this connection authenticated with."""
        return self.refresh_token.id

    @property
    def coalesce(self) -> bool:
        """Whether the client asked for several messages per frame (a JSON array)."""
        return bool(self.features.get("coalesce_messages"))

    def context(self) -> Context:
        """A new context for something this connection's user does."""
        return Context(user_id=self.user.id)

    async def run(self) -> None:
        """Serve the connection until either side closes it."""
        self.registry.add(self)
        self._writer_task = asyncio.create_task(
            self._write_loop(), name=f"websocket-writer-{self.conn_id}"
        )
        try:
            self.send(protocol.auth_ok_message())
            await self._read_loop()
        except Exception:
            _LOGGER.exception("[%d] Unexpected error reading from a WebSocket", self.conn_id)
            self._set_close(protocol.CLOSE_INTERNAL_ERROR, "Internal error.", drain=True)
        finally:
            await self._shutdown()

    # Sending.

    def send(self, frame: bytes) -> None:
        """Queue one serialised message; a client that stops reading is disconnected."""
        self._enqueue((frame,), len(frame), None)

    def send_shared(self, head: bytes, body: bytes, tail: bytes) -> None:
        """Queue `head + body + tail` without copying `body`, which other connections may share.

        One event goes to every subscriber as the same body; only the small head (with the
        subscription id) is per connection.
        """
        self._enqueue((head, body, tail), len(head) + len(body) + len(tail), body)

    def has_room(self, size: int) -> bool:
        """Whether a message of about `size` bytes may be queued; if not, close the connection.

        Lets a command refuse a large reply before building it.
        """
        if self._closing:
            return False
        refusal = self._outbox.refusal(size)
        if refusal is not None:
            self._drop_slow_client(refusal)
            return False
        return True

    def _enqueue(self, parts: tuple[bytes, ...], size: int, shared: bytes | None) -> None:
        if self._closing:
            return
        refusal = self._outbox.refusal(size)
        if refusal is not None:
            self._drop_slow_client(refusal)
            return
        self._outbox.put(parts, size, shared)
        if self._budget.exceeded:
            self._enforce_budget()
        if not self._answering:  # replies to the reader's messages: it sends them itself
            self._wakeup.set()

    def _drop_slow_client(self, pending: str) -> None:
        _LOGGER.warning(
            "[%d] Closing WebSocket from %s: client not reading, %s",
            self.conn_id,
            self.request.remote,
            pending,
        )
        self.request_close(protocol.CLOSE_POLICY_VIOLATION, PENDING_REASON, drain=False)

    def _enforce_budget(self) -> None:
        """Drop the connections holding the most output until all of it fits the budget again."""
        budget = self._budget
        while budget.exceeded:
            largest = budget.largest()
            if not isinstance(largest, Connection):
                return
            largest.drop_for_budget()

    def drop_for_budget(self) -> None:
        """Close at once, discarding pending output: the hub's total output budget is spent."""
        _LOGGER.warning(
            "[%d] Closing WebSocket from %s: %d bytes pending, the most of all connections, and "
            "the total for all connections is over %d bytes",
            self.conn_id,
            self.request.remote,
            self._budget.held(self),
            self._budget.limit,
        )
        self.request_close(protocol.CLOSE_POLICY_VIOLATION, PENDING_REASON, drain=False)
        # A connection already closing (draining) would keep its queue; the budget needs it back.
        self._outbox.discard()

    def send_result(self, msg_id: int, result: Any = None) -> None:
        """Queue a successful result."""
        self.send(protocol.result_message(msg_id, result))

    def send_raw_result(self, msg_id: int, result_json: bytes) -> None:
        """Queue a successful result that is already serialised."""
        self.send(protocol.raw_result_message(msg_id, result_json))

    def send_error(self, msg_id: int, code: str, message: str) -> None:
        """Queue an error result."""
        self.send(protocol.error_message(msg_id, code, message))

    def ensure_subscription_room(self) -> None:
        """Unavailable if this connection already holds the maximum number of subscriptions."""
        if len(self.subscriptions) >= MAX_SUBSCRIPTIONS:
            raise Unavailable(f"Too many subscriptions on this connection ({MAX_SUBSCRIPTIONS}).")

    async def _write_loop(self) -> None:
        """Sends what is queued while the reader waits (events, results of async commands)."""
        queued = self._outbox.queue
        while True:
            if not queued or self._writing:
                if self._closing and not queued:
                    return
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            if not await self._flush():
                return

    async def _answer(self) -> None:
        """Send the replies just queued from the reader when that cannot make it wait.

        Threat: a client that stops reading. Its replies then go through the writer task,
        which may wait for it; the reader never does, so it goes on reading, the queue grows
        and the outbox's bounds drop the client as they would without this shortcut.
        """
        transport = self.request.transport
        if self._writing or self._closing or transport is None:
            self._wakeup.set()
            return
        # Each frame adds at most 10 header bytes; a coalesced one also a comma per message.
        pending = self._outbox.queued_bytes + 12 * len(self._outbox.queue)
        if transport.get_write_buffer_size() + pending > transport.get_write_buffer_limits()[1]:
            self._wakeup.set()
            return
        await self._flush()  # fits the transport's buffer: no waiting, no task switch

    async def _flush(self) -> bool:
        """Write everything queued; False once the connection is done for.

        Runs in the writer task, or in the reader right after it answered a message (no task
        switch per reply); one at a time, so frames leave in the order they were queued.
        """
        outbox, ws = self._outbox, self._ws
        queued = outbox.queue
        self._writing = True
        try:
            while queued:
                frame = outbox.take_frame(self.coalesce)
                if self._budget.exceeded:
                    self._enforce_budget()
                    if not outbox.sending:
                        return False  # this connection was dropped
                await ws.send_frame(frame, WSMsgType.TEXT)
                outbox.sent()
        except ConnectionError:
            _LOGGER.debug("[%d] Peer went away while sending", self.conn_id)
            self._set_close(protocol.CLOSE_GOING_AWAY, "", drain=False)
            return False
        finally:
            self._writing = False
            if self._closing:
                self._wakeup.set()  # the writer may be waiting for its turn to finish up
        return True

    # Closing.

    def request_close(self, code: int, reason: str, *, drain: bool) -> None:
        """Close soon: after flushing queued messages if `drain`, else at once."""
        if self._set_close(code, reason, drain) and self._closer_task is None:
            self._closer_task = asyncio.create_task(
                self._close(), name=f"websocket-close-{self.conn_id}"
            )

    def _set_close(self, code: int, reason: str, drain: bool) -> bool:
        if self._closing:
            return False
        self._closing = True
        self._close_code, self._close_reason = code, reason
        if not drain:
            self._outbox.discard()
            writer = self._writer_task
            if writer is not None and writer is not asyncio.current_task():
                writer.cancel()
        self._wakeup.set()
        return True

    async def _close(self) -> None:
        if (writer := self._writer_task) is not None:
            _, pending = await asyncio.wait({writer}, timeout=CLOSE_TIMEOUT)
            for task in pending:
                task.cancel()
        await close_websocket(self._ws, self.request, self._close_code, self._close_reason)

    async def _shutdown(self) -> None:
        self._set_close(protocol.CLOSE_NORMAL, "", drain=True)
        self.registry.discard(self)
        for unsubscribe in self.subscriptions.values():
            try:
                unsubscribe()
            except Exception:
                _LOGGER.exception("[%d] Error removing a subscription", self.conn_id)
        self.subscriptions.clear()
        if self._closer_task is None:
            await self._close()
        else:
            await self._closer_task
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=CLOSE_TIMEOUT)
            for task in pending:
                task.cancel()
        self._outbox.discard()
        _LOGGER.debug("[%d] Disconnected", self.conn_id)

    # Reading.

    async def _read_loop(self) -> None:
        ws = self._ws
        while not self._closing:
            msg = await ws.receive()
            if msg.type is WSMsgType.TEXT:
                try:
                    items = self._parser.parse(msg.data)
                except ProtocolError as err:
                    _LOGGER.info("[%d] Closing WebSocket: %s", self.conn_id, err.reason)
                    self._set_close(err.close_code, err.reason, drain=True)
                    return
                self._answering = True
                try:
                    for item in items:
                        self._dispatch(item)
                finally:
                    self._answering = False
                if self._outbox.queue:
                    await self._answer()
            elif msg.type is WSMsgType.BINARY:
                reason = "Binary messages are not supported."
                self._set_close(protocol.CLOSE_UNSUPPORTED_DATA, reason, drain=True)
                return
            else:
                if msg.type is WSMsgType.ERROR:
                    _LOGGER.info("[%d] Closing WebSocket: %s", self.conn_id, msg.data)
                self._set_close(protocol.CLOSE_NORMAL, "", drain=False)
                return

    def _dispatch(self, item: Incoming) -> None:
        if self._closing:
            return
        if isinstance(item, Rejected):
            self.send_error(item.id, item.code, item.message)
            return
        spec = self._commands.get(item.type)
        if spec is None:
            _LOGGER.debug("[%d] Unknown command %r", self.conn_id, item.type)
            self.send_error(item.id, protocol.ERR_UNKNOWN_COMMAND, "Unknown command.")
            return
        if spec.admin and not self.user.is_admin:
            self.send_error(item.id, protocol.ERR_UNAUTHORIZED, "Unauthorized")
            return
        if spec.is_async and len(self._tasks) >= MAX_INFLIGHT_COMMANDS:
            self.send_error(item.id, Unavailable.code, "Too many commands in progress.")
            return
        try:
            params = spec.validate(item.payload)
            outcome = spec.handler(self, item.id, params)
        except Exception as err:
            self._report(item, err)
            return
        if outcome is not None:
            task = asyncio.create_task(
                self._await_command(item, outcome), name=f"websocket-{self.conn_id}-{item.id}"
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _await_command(self, item: Command, outcome: Awaitable[None]) -> None:
        try:
            await outcome
        except Exception as err:
            self._report(item, err)

    def _report(self, item: Command, err: Exception) -> None:
        if isinstance(err, HearthError):
            # The base class has no specific code; Home Assistant calls that a generic error.
            code = err.code if type(err) is not HearthError else protocol.ERR_HOME_ASSISTANT_ERROR
            _LOGGER.debug("[%d] Command %r failed: %s", self.conn_id, item.type, code)
            self.send_error(item.id, code, err.message)
            return
        _LOGGER.exception("[%d] Unexpected error in command %r", self.conn_id, item.type)
        self.send_error(item.id, protocol.ERR_UNKNOWN_ERROR, "Unknown error.")
