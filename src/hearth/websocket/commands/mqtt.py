"""`hearth/mqtt` over the WebSocket, for administrators: the MQTT connection's state."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from hearth.exceptions import NotFound
from hearth.websocket.spec import CommandSpec, NoParams, command

if TYPE_CHECKING:
    from hearth.websocket.connection import Connection


@command("hearth/mqtt", NoParams, admin=True)
def mqtt_status(conn: Connection, msg_id: int, params: NoParams) -> None:
    """The same object as GET /api/hearth/mqtt."""
    diagnostics = conn.hub.diagnostics.get("mqtt")
    if diagnostics is None:
        raise NotFound("MQTT is not configured.")
    conn.send_result(msg_id, diagnostics())


COMMANDS: Final[tuple[CommandSpec[Any], ...]] = (mqtt_status,)
