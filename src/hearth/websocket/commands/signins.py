"""hearth/signins, for administrators: logins per hour for 7 days, as the chart and the
addresses and usernames tried most (from the audit log, read off the event loop)."""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from hearth.frontend.security_center import chart
from hearth.websocket.spec import CommandSpec, NoParams, command

if TYPE_CHECKING:
    from hearth.websocket.connection import Connection

TOP: Final = 10
EVENTS: Final = ("login", "login_failed")


def _read(conn: sqlite3.Connection, since: str) -> list[tuple[str, str, str | None, str | None]]:
    rows = conn.execute(
        "SELECT at, event, ip, username FROM audit_log "
        "WHERE event IN (?, ?) AND at >= ? ORDER BY at",
        (*EVENTS, since),
    )
    return [(row[0], row[1], row[2], row[3]) for row in rows]


@command("hearth/signins", NoParams, admin=True)
async def signins(conn: Connection, msg_id: int, params: NoParams) -> None:
    """The chart (SVG text), totals, and the top addresses and usernames of failed logins."""
    slots = chart.hour_slots(datetime.now(UTC))
    db = conn.auth.db
    await db.flush()
    rows = await db.snapshot(lambda c: _read(c, slots[0].isoformat()))
    ok: Counter[datetime] = Counter()
    failed: Counter[datetime] = Counter()
    addresses: Counter[str] = Counter()
    usernames: Counter[str] = Counter()
    for at, event, ip, username in rows:
        hour = datetime.fromisoformat(at).astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        if event == "login":
            ok[hour] += 1
            continue
        failed[hour] += 1
        if ip:
            addresses[ip] += 1
        if username:
            usernames[username] += 1
    conn.send_result(
        msg_id,
        {
            "svg": chart.render(slots, ok, failed),
            "successful": sum(ok.values()),
            "failed": sum(failed.values()),
            "top_addresses": [{"ip": ip, "count": n} for ip, n in addresses.most_common(TOP)],
            "top_usernames": [
                {"username": name, "count": n} for name, n in usernames.most_common(TOP)
            ],
        },
    )


COMMANDS: Final[tuple[CommandSpec[Any], ...]] = (signins,)
