"""The request path as one function: every request passes one gate, which runs the checks in order.

A check is a plain function of the request that returns a refusal (the response to send) or
None; the first refusal is the answer and nothing after it runs. Between the checks that need
only the socket and the ones that need the real client, `forwarded` establishes who the client
is (hearth.http.forwarded). The order is chosen where the application is built
(hearth.http.server.create_app); this module only runs it, with one wrapper and one await for
the whole path instead of one per check.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable

from aiohttp import web
from aiohttp.typedefs import Middleware

from hearth.http.errors import error_reply
from hearth.http.view import Handler

# A check: the refusal to send, or None to go on.
Check = Callable[[web.Request], web.StreamResponse | None]
# The forwarded step: the request as its real client made it (the same object unless a trusted
# proxy reported a scheme, host or address), or a refusal.
Relay = Callable[[web.Request], web.Request | web.StreamResponse]


def request_gate(
    *, target: Check | None = None, forwarded: Relay | None = None, checks: Iterable[Check] = ()
) -> Middleware:
    """The one middleware: `target`, then `forwarded`, then `checks` in order, then the view.

    Every exception a check or the view raises becomes a JSON error (hearth.http.errors).
    """
    after = tuple(checks)

    @web.middleware
    async def gate(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            if target is not None and (refusal := target(request)) is not None:
                return refusal
            if forwarded is not None:
                relayed = forwarded(request)
                if not isinstance(relayed, web.Request):
                    return relayed
                request = relayed
            for check in after:
                if (refusal := check(request)) is not None:
                    return refusal
            return await handler(request)
        except (asyncio.CancelledError, ConnectionResetError):
            raise
        except Exception as exc:  # every failure becomes a JSON answer (or is raised again)
            return error_reply(request, exc)

    return gate
