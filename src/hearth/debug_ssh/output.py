"""Console output: the CLI's tables, terminal-safe text, and the recent log lines."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Final

from hearth import const

_DASH: Final = "-"


def printable(text: str) -> str:
    """Terminal-safe: attacker-chosen text (usernames, entity names) cannot move the cursor."""
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def when(moment: datetime | float | None, never: str = _DASH) -> str:
    """A timestamp as the CLI shows it: UTC, to the minute."""
    if moment is None:
        return never
    if isinstance(moment, int | float):
        moment = datetime.fromtimestamp(moment, UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns separated by two spaces (as `hearth user list` prints them)."""
    shown = [
        [printable(str(cell)) for cell in row] for row in rows[: const.DEBUG_SSH_MAX_OUTPUT_ROWS]
    ]
    widths = [len(header) for header in headers]
    for row in shown:
        widths = [max(width, len(cell)) for width, cell in zip(widths, row, strict=True)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in (list(headers), *shown)
    ]
    if len(rows) > len(shown):
        lines.append(f"... and {len(rows) - len(shown)} more")
    return "\n".join(lines)


class RecentLog(logging.Handler):
    """The hub's last log lines, in memory, for the console's `log tail`."""

    def __init__(self, size: int = const.DEBUG_SSH_LOG_LINES) -> None:
        super().__init__(logging.INFO)
        self.lines: deque[str] = deque(maxlen=size)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        """Keep one formatted line (never raises)."""
        try:
            self.lines.append(printable(self.format(record).splitlines()[0][:1000]))
        except Exception:  # a log handler must never raise
            self.handleError(record)

    def tail(self, count: int) -> list[str]:
        """The last `count` lines, oldest first."""
        return list(self.lines)[-count:] if count > 0 else []
