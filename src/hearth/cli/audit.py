"""`hearth audit log`: read the audit log (logins, MFA, tokens, users, bans)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import click
import orjson

from hearth.cli.common import config_option
from hearth.cli.users import echo_table, open_auth
from hearth.exceptions import BadRequest
from hearth.storage.audit import MAX_QUERY_LIMIT, AuditEntry, AuditLog
from hearth.storage.audit_filters import parse_since

DEFAULT_LIMIT = 100
MAX_DETAILS_SHOWN = 120


class OneLineUsageError(click.ClickException):
    """A usage error (exit 2) printed as one `Error: ...` line, without the usage text."""

    exit_code = 2


def _printable(text: str) -> str:
    """Terminal-safe: attacker-chosen text (usernames, user agents) cannot move the cursor."""
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def _details(entry: AuditEntry) -> str:
    if not entry.details:
        return "-"
    text = orjson.dumps(entry.details, option=orjson.OPT_SORT_KEYS).decode()
    return text if len(text) <= MAX_DETAILS_SHOWN else text[: MAX_DETAILS_SHOWN - 1] + "…"


def _row(entry: AuditEntry) -> tuple[str, ...]:
    cells = (
        entry.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        entry.event,
        entry.username or entry.user_id or "-",
        entry.ip or "-",
        _details(entry),
    )
    return tuple(_printable(cell) for cell in cells)


@click.group()
def audit() -> None:
    """Read the audit log."""


@audit.command("log")
@click.option(
    "--since",
    metavar="DURATION|ISO",
    help="Only entries since then: 30m, 12h, 7d, 2w, or an ISO 8601 time (UTC if no offset).",
)
@click.option("--user", "username", metavar="USERNAME", help="Only this user's entries.")
@click.option("--event", metavar="EVENT", help="Only entries of this event type (e.g. login).")
@click.option(
    "--limit",
    type=click.IntRange(1, MAX_QUERY_LIMIT),
    default=DEFAULT_LIMIT,
    show_default=True,
    help="At most this many entries (the newest).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per line.")
@config_option
def audit_log(
    config_dir: Path,
    since: str | None,
    username: str | None,
    event: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Show audit entries, oldest first (the newest LIMIT of them). Never shows secrets."""
    try:
        moment = None if since is None else parse_since(since, datetime.now(UTC))
    except BadRequest as err:
        raise OneLineUsageError(err.message.replace("Invalid since", "Invalid --since")) from None
    with open_auth(config_dir) as auth:
        user_id = None
        if username is not None:
            # A known user's own events, plus failed logins tried under that name.
            found = auth.get_user_by_username(username)
            user_id, username = (None, username) if found is None else (found.id, found.username)
        entries = asyncio.run(
            AuditLog(auth.db).query(
                since=moment, user_id=user_id, username=username, event=event, limit=limit
            )
        )
    entries.reverse()
    if as_json:
        for entry in entries:
            click.echo(orjson.dumps(entry.as_dict()).decode())
        return
    if not entries:
        click.echo("No audit entries.", err=True)
        return
    echo_table(("TIME (UTC)", "EVENT", "USER", "IP", "DETAILS"), [_row(e) for e in entries])
