"""File descriptors: the open-file limit, the connection cap below it, quiet accept errors.

A process out of descriptors cannot accept, open its database or write its log. The hub raises
its soft limit to the hard limit at start, caps connections well below it (hearth.http.
connections), and logs a failing accept() at most once a second: asyncio reports each failure,
with a traceback, as often as the kernel has connections waiting.
"""

from __future__ import annotations

import asyncio
import logging
import resource
from typing import Any, Final

from hearth import const
from hearth.http.log_limit import LogLimiter

_LOGGER = logging.getLogger(__name__)

# What asyncio's accept loop passes to the loop's exception handler (selector_events.py).
ACCEPT_ERROR_MESSAGE: Final = "socket.accept() out of system resource"
ACCEPT_ERRORS: Final = LogLimiter(interval=const.ACCEPT_ERROR_LOG_INTERVAL)
# Where the limit is unlimited, the cap is computed as if it were this.
_UNLIMITED: Final = 1 << 20


def raise_open_file_limit() -> int:
    """Raise the soft RLIMIT_NOFILE to the hard limit; the soft limit now in effect."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return _UNLIMITED
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = _UNLIMITED if hard == resource.RLIM_INFINITY else hard
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError) as err:
            _LOGGER.warning("Could not raise the open-file limit from %d: %s", soft, err)
        else:
            soft = target
    return soft


def connection_cap(open_files: int) -> int:
    """How many connections the hub holds in all, given the open-file limit.

    Between the cap and the limit stay the descriptors the hub needs for everything else, and
    those asyncio takes before a connection can be refused (it accepts up to a backlog of
    connections per listening socket in one go).
    """
    return max(const.MIN_CONNECTIONS, min(const.MAX_CONNECTIONS, open_files - const.FD_RESERVE))


def _accept_error_handler(previous: Any) -> Any:
    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if context.get("message") != ACCEPT_ERROR_MESSAGE:
            if previous is not None:
                previous(loop, context)
            else:
                loop.default_exception_handler(context)
            return
        if ACCEPT_ERRORS.allow(ACCEPT_ERROR_MESSAGE):
            err = context.get("exception")
            reason = getattr(err, "strerror", None) or err
            _LOGGER.error("Cannot accept connections: %s (retrying every second)", reason)

    handle.hearth_accept_filter = True  # type: ignore[attr-defined]
    return handle


def quiet_accept_errors(loop: asyncio.AbstractEventLoop) -> None:
    """Log asyncio's accept() failures as one line, at most once a second (idempotent)."""
    previous = loop.get_exception_handler()
    if getattr(previous, "hearth_accept_filter", False):
        return
    loop.set_exception_handler(_accept_error_handler(previous))
