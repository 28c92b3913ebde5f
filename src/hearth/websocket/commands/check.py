"""`hearth/check` over the WebSocket, for administrators: the `hearth check` report."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from hearth.check import service
from hearth.websocket.spec import CommandSpec, Params, command

if TYPE_CHECKING:
    from hearth.websocket.connection import Connection


class CheckParams(Params):
    """Fields of hearth/check."""

    probe: bool = False  # also request the hub's own URL
    offline: bool = False  # do not ask the vulnerability database


@command("hearth/check", CheckParams, admin=True)
async def hearth_check(conn: Connection, msg_id: int, params: CheckParams) -> None:
    """The report, in the same JSON as `hearth check --json` and GET /api/hearth/check."""
    report = await service.report_for(conn.request.app, probe=params.probe, offline=params.offline)
    conn.send_result(msg_id, report.as_dict())


COMMANDS: Final[tuple[CommandSpec[Any], ...]] = (hearth_check,)
