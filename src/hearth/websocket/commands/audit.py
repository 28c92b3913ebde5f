"""The audit log over the WebSocket, for administrators: audit/log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Final

from pydantic import Field

from hearth.http.keys import KEY_AUDIT
from hearth.storage.audit import MAX_QUERY_LIMIT
from hearth.storage.audit_filters import MAX_SINCE_LENGTH, parse_since
from hearth.websocket.spec import CommandSpec, Params, command

if TYPE_CHECKING:
    from hearth.websocket.connection import Connection

DEFAULT_LIMIT: Final = 100


class AuditLogParams(Params):
    """Fields of audit/log; every filter is optional."""

    since: Annotated[str, Field(max_length=MAX_SINCE_LENGTH)] | None = None
    user: Annotated[str, Field(max_length=200)] | None = None
    user_id: Annotated[str, Field(max_length=64)] | None = None
    event: Annotated[str, Field(max_length=64)] | None = None
    ip: Annotated[str, Field(max_length=64)] | None = None
    limit: Annotated[int, Field(ge=1, le=MAX_QUERY_LIMIT)] = DEFAULT_LIMIT


@command("audit/log", AuditLogParams, admin=True)
async def audit_log(conn: Connection, msg_id: int, params: AuditLogParams) -> None:
    """Audit entries, newest first: `since` is `30m`/`12h`/`7d`/`2w` or ISO 8601."""
    since = None if params.since is None else parse_since(params.since, datetime.now(UTC))
    user_id, username = params.user_id, params.user
    if username is not None:
        # A known user's own events, and failed logins tried under that name.
        found = conn.auth.get_user_by_username(username)
        if found is not None:
            user_id, username = found.id, found.username
    entries = await conn.request.app[KEY_AUDIT].query(
        since=since,
        user_id=user_id,
        username=username,
        event=params.event,
        ip=params.ip,
        limit=params.limit,
    )
    conn.send_result(msg_id, [entry.as_dict() for entry in entries])


COMMANDS: Final[tuple[CommandSpec[Any], ...]] = (audit_log,)
