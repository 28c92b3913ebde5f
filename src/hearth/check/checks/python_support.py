"""`python`: the interpreter still gets security fixes from upstream."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Final

from hearth import const
from hearth.check.context import CheckContext
from hearth.check.model import Check, Finding, Rule, Severity

# When each Python minor version stops getting security fixes from upstream.
# Source: the Python Developer's Guide, "Status of Python versions"
# (https://devguide.python.org/versions/), which gives the month; each release's schedule PEP
# (569, 596, 619, 664, 693, 719, 745) agrees. The day is the last of that month, except 3.8,
# whose final release was 2024-10-07. Add a row with each new Python release.
END_OF_LIFE: Final[dict[tuple[int, int], date]] = {
    (3, 8): date(2024, 10, 7),
    (3, 9): date(2025, 10, 31),
    (3, 10): date(2026, 10, 31),
    (3, 11): date(2027, 10, 31),
    (3, 12): date(2028, 10, 31),
    (3, 13): date(2029, 10, 31),
    (3, 14): date(2030, 10, 31),
}

_SEED = (
    'Security page, "Source code": dependencies are followed upstream; an interpreter without '
    "security releases gets no fixes at all"
)
_FIX = (
    "Install a supported Python ({newest} is the newest listed), then rebuild the venv: "
    "`make clean setup`"
)

UNSUPPORTED = Rule(
    "software.python_unsupported",
    Severity.FAIL,
    "Python is out of upstream support",
    _SEED,
    _FIX,
)
ENDING = Rule(
    "software.python_ending",
    Severity.WARN,
    "Python's upstream support ends soon",
    _SEED,
    _FIX,
)


def support(version: tuple[int, int], today: date) -> tuple[str, date | None]:
    """("ok" | "ending" | "ended", end of life) for `version` on `today` (pure)."""
    end = END_OF_LIFE.get(version)
    if end is None:
        oldest = min(END_OF_LIFE)
        return ("ended", None) if version < oldest else ("ok", None)
    if today > end:
        return "ended", end
    if end - today <= timedelta(days=const.CHECK_PYTHON_EOL_WARNING_DAYS):
        return "ending", end
    return "ok", end


def run(ctx: CheckContext) -> Iterator[Finding]:
    """The running interpreter's version against the end-of-life table."""
    version = ctx.host.python
    state, end = support(version, ctx.now.date())
    shown = f"Python {version[0]}.{version[1]}"
    newest = "{}.{}".format(*max(END_OF_LIFE))
    if state == "ended":
        since = f" on {end.isoformat()}" if end is not None else ""
        yield UNSUPPORTED.found(f"{shown} stopped getting security fixes{since}", newest=newest)
    elif state == "ending" and end is not None:
        yield ENDING.found(
            f"{shown} stops getting security fixes on {end.isoformat()}", newest=newest
        )


CHECK = Check("python", "Python version", (UNSUPPORTED, ENDING), run)
