"""IP bans over the WebSocket, for administrators: ban/list and ban/remove."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Final

from pydantic import Field

from hearth.bans.lift import lift_ban
from hearth.http.ban import KEY_BANS
from hearth.websocket.spec import CommandSpec, NoParams, Params, command

if TYPE_CHECKING:
    from hearth.websocket.connection import Connection


@command("ban/list", NoParams, admin=True)
def list_bans(conn: Connection, msg_id: int, params: NoParams) -> None:
    """The bans in force, oldest first."""
    bans = conn.request.app[KEY_BANS].list()
    conn.send_result(msg_id, [ban.as_dict() for ban in bans])


class RemoveBanParams(Params):
    """Fields of ban/remove."""

    ip: Annotated[str, Field(min_length=1, max_length=64)]


@command("ban/remove", RemoveBanParams, admin=True)
async def remove_ban(conn: Connection, msg_id: int, params: RemoveBanParams) -> None:
    """Lift the ban of an address or IPv6 /64; the lifted ban is the result."""
    lifted = await lift_ban(conn.request.app[KEY_BANS], params.ip, conn.user)
    conn.send_result(msg_id, lifted.as_dict())


COMMANDS: Final[tuple[CommandSpec[Any], ...]] = (list_bans, remove_ban)
