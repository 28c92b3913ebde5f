"""IP bans over the WebSocket, for administrators: ban/list, ban/remove and the allow-list."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Final

from pydantic import Field

from hearth.bans import allow
from hearth.bans.lift import lift_ban
from hearth.http.ban import KEY_BANS
from hearth.http.keys import KEY_CONFIG
from hearth.http.view import client_ip
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


@command("ban/allow/list", NoParams, admin=True)
def list_allowed(conn: Connection, msg_id: int, params: NoParams) -> None:
    """The allow-list: the configuration's entries and those added here."""
    http = conn.request.app[KEY_CONFIG].http
    conn.send_result(
        msg_id,
        {
            "configured": [*http.ip_ban_allowlist, *http.trusted_proxies],
            "stored": allow.stored(conn.auth.db),
        },
    )


class AllowParams(Params):
    """Fields of ban/allow/add."""

    network: Annotated[str, Field(min_length=1, max_length=64)]
    confirm_public: bool = False


@command("ban/allow/add", AllowParams, admin=True)
async def add_allowed(conn: Connection, msg_id: int, params: AllowParams) -> None:
    """Never ban this address or network (public space: confirmed, a handful of hosts)."""
    network = allow.parse(params.network, confirm_public=params.confirm_public)
    app = conn.request.app
    entry = await allow.add(
        app[KEY_BANS], app[KEY_CONFIG].http, conn.auth.db, network, conn.user.username, _ip(conn)
    )
    conn.send_result(msg_id, entry)


class DisallowParams(Params):
    """Fields of ban/allow/remove."""

    network: Annotated[str, Field(min_length=1, max_length=64)]


@command("ban/allow/remove", DisallowParams, admin=True)
async def remove_allowed(conn: Connection, msg_id: int, params: DisallowParams) -> None:
    """Remove an entry added here (the configuration's are edited in configuration.yaml)."""
    app = conn.request.app
    await allow.remove(
        app[KEY_BANS],
        app[KEY_CONFIG].http,
        conn.auth.db,
        params.network.strip(),
        conn.user.username,
        _ip(conn),
    )
    conn.send_result(msg_id, {})


def _ip(conn: Connection) -> str:
    return str(client_ip(conn.request))


COMMANDS: Final[tuple[CommandSpec[Any], ...]] = (
    list_bans,
    remove_ban,
    list_allowed,
    add_allowed,
    remove_allowed,
)
