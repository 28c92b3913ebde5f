"""recorder/*: the recorder's status, and long-term statistics answered empty.

Hearth keeps no long-term statistics (hourly means and sums): the commands the frontend sends
for them get Home Assistant's empty answers, so its pages fall back to the recorded history.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from hearth.websocket.commands.placeholders import AnyParams
from hearth.websocket.live import recorder_of
from hearth.websocket.spec import CommandSpec, NoParams, command

if TYPE_CHECKING:
    from hearth.websocket.connection import Connection

NOT_RECORDING: Final = {
    "backlog": None,
    "max_backlog": 0,
    "migration_in_progress": False,
    "migration_is_live": False,
    "recording": False,
    "thread_running": False,
}


@command("recorder/info", NoParams)
def info(conn: Connection, msg_id: int, params: NoParams) -> None:
    """Whether the recorder runs and records, and how many changes wait for it."""
    recorder = recorder_of(conn)
    conn.send_result(msg_id, recorder.info() if recorder is not None else NOT_RECORDING)


def _empty(msg_type: str, result: Any) -> CommandSpec[AnyParams]:
    def handler(conn: Connection, msg_id: int, params: AnyParams) -> None:
        conn.send_result(msg_id, result)

    handler.__doc__ = f"Answer {msg_type}: Hearth keeps no long-term statistics."
    return command(msg_type, AnyParams)(handler)


COMMANDS: Final[tuple[CommandSpec[Any], ...]] = (
    info,
    _empty("recorder/get_statistics_metadata", []),
    _empty("recorder/list_statistic_ids", []),
    _empty("recorder/statistics_during_period", {}),
    _empty("recorder/statistic_during_period", {}),
    _empty("recorder/validate_statistics", {}),
)
