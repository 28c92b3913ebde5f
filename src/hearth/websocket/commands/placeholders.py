"""Commands the frontend sends for features Hearth does not have (yet), answered in Home
Assistant's shapes with nothing in them, so the pages load without errors.

These are fallbacks: a module that implements one of these types for real wins (see
`with_fallbacks`), so the recorder, say, can take over `recorder/info`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from pydantic import ConfigDict

from hearth.websocket import protocol
from hearth.websocket.spec import CommandSpec, Params, command

if TYPE_CHECKING:
    from hearth.websocket.connection import Connection


class AnyParams(Params):
    """Whatever fields the frontend sends along (bounded by the message size)."""

    model_config = ConfigDict(extra="allow", strict=True, frozen=True)


def _answer(msg_type: str, result: Any, *, admin: bool = False) -> CommandSpec[AnyParams]:
    def handler(conn: Connection, msg_id: int, params: AnyParams) -> None:
        conn.send_result(msg_id, result)

    handler.__doc__ = f"Answer {msg_type} with an empty result."
    return command(msg_type, AnyParams, admin=admin)(handler)


def _subscription(msg_type: str, first_event: Any) -> CommandSpec[AnyParams]:
    """A subscription that sends one event with nothing in it and then stays quiet."""

    def handler(conn: Connection, msg_id: int, params: AnyParams) -> None:
        conn.ensure_subscription_room()
        conn.subscriptions[msg_id] = _nothing
        conn.send_result(msg_id)
        if first_event is not None:
            conn.send(
                protocol.event_message(protocol.event_prefix(msg_id), protocol.dumps(first_event))
            )

    handler.__doc__ = f"Accept {msg_type}; nothing will change."
    return command(msg_type, AnyParams)(handler)


def _nothing() -> None:
    """Unsubscribing from a subscription that never sends anything."""


# Sensor device classes whose states are numbers (the frontend formats them as such).
NUMERIC_DEVICE_CLASSES: Final = (
    "apparent_power", "aqi", "atmospheric_pressure", "battery", "carbon_dioxide",
    "carbon_monoxide", "current", "data_rate", "data_size", "distance", "duration", "energy",
    "frequency", "gas", "humidity", "illuminance", "irradiance", "moisture", "monetary",
    "nitrogen_dioxide", "pm1", "pm10", "pm25", "power", "power_factor", "precipitation",
    "pressure", "signal_strength", "sound_pressure", "speed", "temperature", "voltage",
    "volume", "water", "weight", "wind_speed",
)  # fmt: skip

COMMANDS: Final[tuple[CommandSpec[Any], ...]] = (
    _answer("repairs/list_issues", {"issues": []}),
    _answer(
        "recorder/info",
        {
            "backlog": None,
            "max_backlog": 0,
            "migration_in_progress": False,
            "migration_is_live": False,
            "recording": False,
            "thread_running": False,
        },
    ),
    _answer("manifest/list", []),
    _answer("entity/source", {}),
    _answer("integration/setup_info", []),
    _answer("logger/log_info", []),
    _answer("config_entries/get", []),
    _answer("search/related", {}),
    _answer("sensor/numeric_device_classes", {"numeric_device_classes": NUMERIC_DEVICE_CLASSES}),
    _subscription("persistent_notification/subscribe", {"type": "current", "notifications": {}}),
    _subscription("subscribe_bootstrap_integrations", None),
)


def with_fallbacks(table: Mapping[str, CommandSpec[Any]]) -> Mapping[str, CommandSpec[Any]]:
    """The command table plus these placeholders, for the types nothing else declares."""
    merged = dict(table)
    for spec in COMMANDS:
        merged.setdefault(spec.msg_type, spec)
    return merged
