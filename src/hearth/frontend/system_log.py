"""The service system_log.write: the frontend reports its own errors through it.

Threat: any logged-in user (or a script with a token) could flood the hub's log or write
misleading lines. Messages are cut to a bounded length, stripped of line breaks and control
characters, and each user gets a small budget of lines per minute; what exceeds it is counted
and summarised in one line, never written.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from hearth.core.hub import Hub
from hearth.core.services import ServiceCall

_LOGGER = logging.getLogger(__name__)

MAX_MESSAGE: Final = 1000  # characters of a message that reach the log
MAX_LOGGER_NAME: Final = 64
LINES_PER_MINUTE: Final = 30  # per user
_WINDOW: Final = 60.0
_MAX_USERS: Final = 1024
_LEVELS: Final = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}


class WriteData(BaseModel):
    """Fields of system_log.write (a longer message is accepted and shortened)."""

    model_config = ConfigDict(extra="forbid")

    message: Annotated[str, Field(max_length=64 * 1024)]
    level: Literal["debug", "info", "warning", "error", "critical"] = "error"
    logger: Annotated[str, Field(max_length=MAX_LOGGER_NAME)] | None = None


def clean(text: str, limit: int) -> str:
    """One printable line of at most `limit` characters (an ellipsis marks a cut)."""
    line = "".join(char if char.isprintable() else " " for char in text)
    return line if len(line) <= limit else line[: limit - 1] + "…"


class LogBudget:
    """Lines per user per minute; no I/O, bounded memory."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._windows: dict[str, tuple[float, int, int]] = {}  # user: (start, used, dropped)

    def take(self, user: str) -> tuple[bool, int]:
        """(whether a line may be written now, lines dropped in the window that just ended)."""
        now = self._clock()
        start, used, dropped = self._windows.get(user, (now, 0, 0))
        ended = 0
        if now - start >= _WINDOW:
            start, used, ended, dropped = now, 0, dropped, 0
        if len(self._windows) >= _MAX_USERS and user not in self._windows:
            self._windows.clear()
        allowed = used < LINES_PER_MINUTE
        self._windows[user] = (start, used + allowed, dropped + (not allowed))
        return allowed, ended


def register(hub: Hub) -> None:
    """Register system_log.write on the hub."""
    budget = LogBudget()

    def write(call: ServiceCall) -> None:
        data = call.parsed(WriteData)
        user = call.context.user_id or "-"
        allowed, dropped = budget.take(user)
        if dropped:
            _LOGGER.warning(
                "Dropped %d system_log.write lines from user %s (rate limit)", dropped, user
            )
        if not allowed:
            return
        name = clean(data.logger or "frontend", MAX_LOGGER_NAME)
        _LOGGER.log(
            _LEVELS[data.level],
            "[%s] (user %s) %s",
            name,
            user,
            clean(data.message, MAX_MESSAGE),
        )

    hub.services.register(
        "system_log",
        "write",
        write,
        WriteData,
        description="Adds a line (shortened if long) to the hub's log.",
        name="Write to the log",
    )
