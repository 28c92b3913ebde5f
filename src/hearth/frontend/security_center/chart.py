"""The sign-ins chart: successful and failed logins per hour, as an SVG drawn by the hub.

Pure: counts in, SVG text out. Only numbers and labels made here go into it (no user data), and
the page shows it as an <img> (a data: URL), where nothing in an SVG can run.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Final

HOURS: Final = 7 * 24
BAR: Final = 5  # pixels per hour
HEIGHT: Final = 120
TOP: Final = 16
LEFT: Final = 32
BOTTOM: Final = 20
OK_COLOUR: Final = "#03a9f4"
FAILED_COLOUR: Final = "#db4437"


def hour_slots(now: datetime) -> list[datetime]:
    """The HOURS whole hours up to and including the current one, oldest first."""
    current = now.replace(minute=0, second=0, microsecond=0)
    return [current - timedelta(hours=HOURS - 1 - index) for index in range(HOURS)]


def render(
    slots: list[datetime], ok: Mapping[datetime, int], failed: Mapping[datetime, int]
) -> str:
    """Stacked bars per hour (failed on top of successful), a scale and a day per label."""
    peak = max([ok.get(s, 0) + failed.get(s, 0) for s in slots] + [1])
    width = LEFT + BAR * len(slots)
    total = TOP + HEIGHT + BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {total}" '
        f'width="{width}" height="{total}" font-family="sans-serif" font-size="10">',
        f'<line x1="{LEFT}" y1="{TOP + HEIGHT}" x2="{width}" y2="{TOP + HEIGHT}" '
        'stroke="#949494"/>',
        f'<text x="{LEFT - 4}" y="{TOP + 4}" text-anchor="end" fill="#727272">{peak}</text>',
        f'<text x="{LEFT - 4}" y="{TOP + HEIGHT}" text-anchor="end" fill="#727272">0</text>',
    ]
    for index, slot in enumerate(slots):
        x = LEFT + index * BAR
        base = TOP + HEIGHT
        for count, colour in ((ok.get(slot, 0), OK_COLOUR), (failed.get(slot, 0), FAILED_COLOUR)):
            if count:
                height = max(1, round(HEIGHT * count / peak))
                base -= height
                parts.append(
                    f'<rect x="{x}" y="{base}" width="{BAR - 1}" height="{height}" '
                    f'fill="{colour}"/>'
                )
        if slot.hour == 0:
            parts.append(
                f'<line x1="{x}" y1="{TOP}" x2="{x}" y2="{TOP + HEIGHT}" stroke="#e0e0e0"/>'
                f'<text x="{x + 2}" y="{total - 6}" fill="#727272">{slot:%a %d}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
