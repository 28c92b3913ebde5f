"""The console's commands: the CLI's operations on the running hub, and nothing else.

No shell, no Python, no files: each line is split like a shell would (without expanding
anything) and looked up in COMMANDS; anything else is an unknown command.
"""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

import orjson

from hearth.check.context import Options
from hearth.check.service import HUB_AUDIT_TIMEOUT, hub_report
from hearth.core.context import Context
from hearth.debug_ssh.context import ConsoleContext
from hearth.debug_ssh.output import printable, table, when
from hearth.exceptions import HearthError
from hearth.storage.audit import AuditLog
from hearth.storage.audit_filters import parse_since


class CommandError(Exception):
    """A command that cannot run: its message is shown as `error: ...`."""


@dataclass(frozen=True, slots=True)
class Command:
    """One console command: its usage line, what it does, and how."""

    usage: str
    summary: str
    run: Callable[[ConsoleContext, list[str]], Awaitable[str]]
    max_args: int = 0
    min_args: int = 0


def _json(value: object) -> str:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()


async def _help(_ctx: ConsoleContext, _args: list[str]) -> str:
    width = max(len(command.usage) for command in COMMANDS.values())
    lines = [f"  {c.usage.ljust(width)}  {c.summary}" for c in COMMANDS.values()]
    return "Commands (this console is not a shell):\n" + "\n".join(lines)


async def _check(ctx: ConsoleContext, args: list[str]) -> str:
    if args not in ([], ["--offline"]):
        raise CommandError("usage: check [--offline]")
    options = Options(offline=bool(args), audit_timeout=HUB_AUDIT_TIMEOUT)
    async with ctx.check_lock:
        report = await asyncio.to_thread(hub_report, ctx.config_dir, options)
    return report.text()


async def _states(ctx: ConsoleContext, _args: list[str]) -> str:
    states = sorted(ctx.hub.states.all(), key=lambda state: state.entity_id)
    if not states:
        return "No states."
    rows = [(s.entity_id, s.state, when(s.last_changed)) for s in states]
    return table(("ENTITY", "STATE", "LAST CHANGED"), rows)


async def _state(ctx: ConsoleContext, args: list[str]) -> str:
    state = ctx.hub.states.get(args[0].lower())
    if state is None:
        raise CommandError("Entity not found.")
    return _json(state.as_dict())


async def _call(ctx: ConsoleContext, args: list[str]) -> str:
    domain, dot, service = args[0].lower().partition(".")
    if not dot or not domain or not service:
        raise CommandError("usage: call DOMAIN.SERVICE [JSON]")
    try:
        data = orjson.loads(args[1]) if len(args) > 1 else {}
    except orjson.JSONDecodeError:
        raise CommandError("the service data is not valid JSON") from None
    if not isinstance(data, dict):
        raise CommandError("the service data must be a JSON object")
    context = Context(user_id=ctx.user.id)
    changed = await ctx.hub.call_service(domain, service, data, context)
    return _json([state.as_dict() for state in changed])


async def _users(ctx: ConsoleContext, _args: list[str]) -> str:
    users = ctx.auth.list_users()
    if not users:
        return "No users yet."
    yes = {True: "yes", False: "no"}
    rows = [
        (
            u.username,
            u.name,
            yes[u.is_owner],
            yes[u.is_admin],
            yes[u.is_active],
            yes[u.local_only],
            when(u.created_at),
        )
        for u in users
    ]
    return table(("USERNAME", "NAME", "OWNER", "ADMIN", "ACTIVE", "LOCAL ONLY", "CREATED"), rows)


async def _tokens(ctx: ConsoleContext, args: list[str]) -> str:
    owner = ctx.auth.get_user_by_username(args[0])
    if owner is None:
        raise CommandError("No such user; see `users`.")
    records = ctx.auth.list_refresh_tokens(owner.id)
    if not records:
        return "No tokens."
    rows = [
        (
            r.id,
            owner.username,
            r.client_name or r.client_id or "-",
            r.token_type.value,
            when(r.created_at),
            when(r.expires_at),
            when(r.last_used_at),
        )
        for r in records
    ]
    return table(("ID", "USER", "NAME", "TYPE", "CREATED", "EXPIRES", "LAST USED"), rows)


async def _revoke(ctx: ConsoleContext, args: list[str]) -> str:
    if not await ctx.auth.remove_refresh_token(args[0], ip=ctx.ip):
        # Not echoed: it might be a pasted secret rather than an id.
        raise CommandError("No token with that id; see `tokens USER`.")
    return f"Revoked token {printable(args[0])}."


async def _bans(ctx: ConsoleContext, _args: list[str]) -> str:
    records = ctx.bans.list()
    if not records:
        return "No bans."
    rows = [
        (
            r.client,
            when(r.banned_at),
            when(r.expires_at, "never"),
            str(r.offences),
            r.source,
            r.reason or "-",
        )
        for r in records
    ]
    return table(("ADDRESS", "BANNED", "EXPIRES", "OFFENCES", "SOURCE", "REASON"), rows)


async def _unban(ctx: ConsoleContext, args: list[str]) -> str:
    try:
        lifted = await ctx.bans.unban(args[0], user_id=ctx.user.id, username=ctx.user.username)
    except ValueError as err:
        raise CommandError(str(err)) from None
    if lifted is None:
        raise CommandError("No ban in force for that address; see `bans`.")
    return f"Lifted the ban of {lifted.client}."


async def _audit(ctx: ConsoleContext, args: list[str]) -> str:
    since = None
    if args:
        if len(args) != 2 or args[0] != "--since":
            raise CommandError("usage: audit [--since DURATION|ISO]")
        try:
            since = parse_since(args[1], datetime.now(UTC))
        except HearthError as err:
            raise CommandError(err.message.replace("Invalid since", "Invalid --since")) from None
    entries = await AuditLog(ctx.db).query(since=since, limit=100)
    if not entries:
        return "No audit entries."
    entries.reverse()
    rows = [
        (
            e.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            e.event,
            e.username or e.user_id or "-",
            e.ip or "-",
            orjson.dumps(e.details, option=orjson.OPT_SORT_KEYS).decode()[:120]
            if e.details
            else "-",
        )
        for e in entries
    ]
    return table(("TIME (UTC)", "EVENT", "USER", "IP", "DETAILS"), rows)


async def _log(ctx: ConsoleContext, args: list[str]) -> str:
    if not args or args[0] != "tail" or len(args) > 2:
        raise CommandError("usage: log tail [LINES]")
    count = 20
    if len(args) == 2:
        if not args[1].isdigit() or not 0 < int(args[1]) <= 1000:
            raise CommandError("LINES must be a number from 1 to 1000")
        count = int(args[1])
    return "\n".join(ctx.log.tail(count)) or "No log lines yet."


async def _exit(_ctx: ConsoleContext, _args: list[str]) -> str:
    return ""


COMMANDS: Final[dict[str, Command]] = {
    "help": Command("help", "this list", _help),
    "check": Command("check [--offline]", "the security checklist (as `hearth check`)", _check, 1),
    "states": Command("states", "every entity's state", _states),
    "state": Command("state ENTITY", "one entity's state as JSON", _state, 1, 1),
    "call": Command("call DOMAIN.SERVICE [JSON]", "call a service", _call, 2, 1),
    "users": Command("users", "user accounts (as `hearth user list`)", _users),
    "tokens": Command("tokens USER", "a user's tokens (as `hearth token list`)", _tokens, 1, 1),
    "revoke": Command("revoke ID", "revoke a token", _revoke, 1, 1),
    "bans": Command("bans", "the bans in force (as `hearth ban list`)", _bans),
    "unban": Command("unban IP", "lift a ban", _unban, 1, 1),
    "audit": Command("audit [--since WHEN]", "the newest audit entries", _audit, 2),
    "log": Command("log tail [LINES]", "the hub's last log lines", _log, 2, 1),
    "exit": Command("exit", "end the session", _exit),
}
EXIT_WORDS: Final = frozenset({"exit", "quit", "logout"})


def split(line: str) -> list[str]:
    """A command line's words (quotes group, nothing is expanded); CommandError if unbalanced."""
    try:
        return shlex.split(line, comments=False, posix=True)
    except ValueError:
        raise CommandError("unbalanced quotes") from None


async def execute(ctx: ConsoleContext, words: list[str]) -> str:
    """Run one command; CommandError (or HearthError) when it cannot."""
    command = COMMANDS.get(words[0])
    if command is None:
        raise CommandError(f"unknown command {printable(words[0])[:40]!r}; type `help`")
    args = words[1:]
    if not command.min_args <= len(args) <= command.max_args:
        raise CommandError(f"usage: {command.usage}")
    return await command.run(ctx, args)
