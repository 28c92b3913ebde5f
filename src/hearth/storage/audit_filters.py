"""Parsing the `since` filter of audit-log queries (CLI and WebSocket share it)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Final

from hearth.exceptions import BadRequest

MAX_SINCE_LENGTH: Final = 64
_DURATION: Final = re.compile(r"([0-9]{1,7})([smhdw])")
_UNITS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
SINCE_HELP: Final = (
    "expected a duration such as 30m, 12h, 7d or 2w, or an ISO 8601 time such as "
    "2025-01-31 or 2025-01-31T08:00:00+01:00"
)


def parse_since(text: str, now: datetime) -> datetime:
    """`30m`/`12h`/`7d`/`2w` before `now`, or an ISO 8601 date/time (UTC if no offset given).

    Strict: anything else is a BadRequest with one line saying what is expected.
    """
    value = text.strip()
    if not value or len(value) > MAX_SINCE_LENGTH or not value.isascii():
        raise BadRequest(f"Invalid since: {SINCE_HELP}.")
    if match := _DURATION.fullmatch(value):
        seconds = int(match[1]) * _UNITS[match[2]]
        try:
            return now - timedelta(seconds=seconds)
        except OverflowError:
            raise BadRequest("Invalid since: that is too far back.") from None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"Invalid since: {SINCE_HELP}.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        # Queries compare in UTC: year 1 at +14:00, or 9999-12-31 at -14:00, has no UTC time.
        return moment.astimezone(UTC)
    except OverflowError:
        raise BadRequest("Invalid since: that time is out of range.") from None
