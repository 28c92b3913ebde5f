"""Banned clients refused at the connection: no aiohttp request is ever built for them.

The address of a client that connects directly is known when the connection is accepted. If
it is banned, every request on that connection is answered with the pre-rendered 403
(hearth.http.refusals) straight from the HTTP parser's output, without a request object, a
task, routing or the gate; each answer counts in the once-a-minute summary of refused requests
like the gate's ban check does. The connection is kept alive as the client asked, and closed
after a request with a body, an upgrade, a parse error or `Connection: close`.

A trusted proxy carries many clients: a connection from one is never refused here (the gate's
ban check refuses its banned clients by the address the proxy reports). A connection that was
open before its client was banned is refused by that check too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.streams import EMPTY_PAYLOAD

from hearth.http.ban import BANNED, KEY_BANS
from hearth.http.headers import hub_only, response_headers
from hearth.http.network import NetworkSet

if TYPE_CHECKING:
    from aiohttp.http_parser import RawRequestMessage

    from hearth.bans.policy import ClientKey
    from hearth.http.network import IPAddress


class ConnectionBans:
    """Which direct peers are banned, and the answer each of their requests gets."""

    __slots__ = ("_app", "_banned", "_clock", "_key_of", "_refused", "_trusted")

    def __init__(self, app: web.Application, trusted: NetworkSet) -> None:
        bans = app[KEY_BANS]
        self._app = app
        self._banned = bans.banned  # mutated in place by the manager, never replaced
        self._refused = bans.refused
        self._clock = bans.clock
        self._key_of = bans.policy.key
        self._trusted = trusted

    def key(self, peer: IPAddress) -> ClientKey | None:
        """The ban key of `peer` if it is banned and connected directly, else None."""
        if not self._banned or peer in self._trusted:
            return None
        key = self._key_of(peer)
        if not self.banned(key):
            return None
        # Headers added by signals of the application's own must not be skipped.
        return key if hub_only(self._app) else None

    def banned(self, key: ClientKey) -> bool:
        """Whether the ban on `key` is still in force (it may expire or be lifted)."""
        expiry = self._banned.get(key)
        return expiry is not None and expiry > self._clock()

    def answers(
        self, key: ClientKey, parser: Any, data: bytes, *, secure: bool
    ) -> tuple[bytes, bool]:
        """The answers to the requests `data` completes, and whether to hang up after them."""
        answers, close = [], False
        try:
            messages, upgraded, _tail = parser.feed_data(data)
        except HttpProcessingError:
            return b"", True  # garbage: hang up
        for message, payload in messages:
            parser.message_consumed()
            # A body is not read and an upgrade not made: such a request gets the last answer.
            close = upgraded or message.should_close or payload is not EMPTY_PAYLOAD
            answers.append(self.answer(key, message, secure=secure, keep_alive=not close))
            if close:
                break
        return b"".join(answers), close

    def answer(
        self, key: ClientKey, message: RawRequestMessage, *, secure: bool, keep_alive: bool
    ) -> bytes:
        """The 403 for one request of a banned client, counted for the summary."""
        self._refused[key] = self._refused.get(key, 0) + 1
        spec = response_headers(self._app)
        url: Any = message.url
        head = BANNED.head(
            spec,
            (message.version.major, message.version.minor),
            secure=secure,
            keep_alive=keep_alive,
            per_request=spec.per_request(url.path, message.headers),
        )
        return BANNED.wire(head, head_only=message.method == "HEAD")


def connection_bans(app: web.Application, trusted: NetworkSet) -> ConnectionBans | None:
    """The check for this application (None when it keeps no bans)."""
    return ConnectionBans(app, trusted) if KEY_BANS in app else None
