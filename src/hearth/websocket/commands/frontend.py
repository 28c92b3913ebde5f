"""What Home Assistant's frontend asks for on every page: panels, texts, icons, themes, and the
settings it saves per user and system-wide (frontend/*, get_panels)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Final

from pydantic import Field

from hearth.frontend import texts
from hearth.frontend.data import KEY_FRONTEND_DATA, FrontendData
from hearth.frontend.panels import visible_panels
from hearth.websocket import protocol
from hearth.websocket.spec import CommandSpec, NoParams, Params, command

if TYPE_CHECKING:
    from hearth.websocket.connection import Connection

FRONTEND_VERSION: Final = "20250109.2"
MAX_DOMAINS: Final = 1000

Key = Annotated[str, Field(min_length=1, max_length=64)]
Domain = Annotated[str, Field(min_length=1, max_length=64)]
Domains = Domain | Annotated[list[Domain], Field(max_length=MAX_DOMAINS)]
Json = None | bool | int | float | str | list[Any] | dict[str, Any]


def _data(conn: Connection) -> FrontendData:
    return conn.request.app[KEY_FRONTEND_DATA]


def _domains(value: str | list[str] | None) -> list[str] | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else value


@command("get_panels", NoParams)
def get_panels(conn: Connection, msg_id: int, params: NoParams) -> None:
    """The panels this user may open (administrators also see the settings)."""
    conn.send_result(msg_id, visible_panels(conn.user.is_admin))


@command("frontend/get_themes", NoParams)
def get_themes(conn: Connection, msg_id: int, params: NoParams) -> None:
    """No themes of Hearth's own: the frontend's default (light or dark, as the device prefers)."""
    conn.send_result(msg_id, {"themes": {}, "default_theme": "default", "default_dark_theme": None})


class TranslationsParams(Params):
    """Fields of frontend/get_translations."""

    language: Annotated[str, Field(min_length=1, max_length=32)]
    category: Annotated[str, Field(min_length=1, max_length=64)]
    integration: Domains | None = None
    config_flow: bool | None = None


@command("frontend/get_translations", TranslationsParams)
def get_translations(conn: Connection, msg_id: int, params: TranslationsParams) -> None:
    """Hearth's English texts (every language gets English until there are others)."""
    resources = texts.translations(params.category, _domains(params.integration))
    conn.send_result(msg_id, {"resources": resources})


class IconsParams(Params):
    """Fields of frontend/get_icons."""

    category: Annotated[str, Field(pattern=r"^(entity|entity_component|services)$")]
    integration: Domains | None = None


@command("frontend/get_icons", IconsParams)
def get_icons(conn: Connection, msg_id: int, params: IconsParams) -> None:
    """Hearth's icons for its domains."""
    resources = texts.icons(params.category, _domains(params.integration))
    conn.send_result(msg_id, {"resources": resources})


@command("frontend/get_version", NoParams)
def get_version(conn: Connection, msg_id: int, params: NoParams) -> None:
    """The version of the frontend package Hearth serves."""
    conn.send_result(msg_id, {"version": FRONTEND_VERSION})


class GetDataParams(Params):
    """Fields of frontend/get_user_data, get_system_data and their subscriptions."""

    key: Key | None = None


class SetDataParams(Params):
    """Fields of frontend/set_user_data and set_system_data."""

    key: Key
    value: Json


def _value(data: dict[str, Any], key: str | None) -> dict[str, Any]:
    return {"value": data.get(key) if key is not None else data}


@command("frontend/get_user_data", GetDataParams)
def get_user_data(conn: Connection, msg_id: int, params: GetDataParams) -> None:
    """This user's saved settings (one key, or all)."""
    conn.send_result(msg_id, _value(_data(conn).store.user_data(conn.user.id), params.key))


@command("frontend/set_user_data", SetDataParams)
async def set_user_data(conn: Connection, msg_id: int, params: SetDataParams) -> None:
    """Save one setting for this user (null removes it)."""
    await _data(conn).set_user_data(conn.user.id, params.key, params.value)
    conn.send_result(msg_id)


@command("frontend/subscribe_user_data", GetDataParams)
def subscribe_user_data(conn: Connection, msg_id: int, params: GetDataParams) -> None:
    """This user's settings now, and again after each change."""
    conn.ensure_subscription_room()
    data, user_id, prefix = _data(conn), conn.user.id, protocol.event_prefix(msg_id)

    def send() -> None:
        value = _value(data.store.user_data(user_id), params.key)
        conn.send(protocol.event_message(prefix, protocol.dumps(value)))

    conn.subscriptions[msg_id] = data.watch_user(user_id, send)
    conn.send_result(msg_id)
    send()


@command("frontend/get_system_data", GetDataParams)
def get_system_data(conn: Connection, msg_id: int, params: GetDataParams) -> None:
    """Settings saved for everyone (one key, or all)."""
    conn.send_result(msg_id, _value(_data(conn).store.system_data(), params.key))


@command("frontend/set_system_data", SetDataParams, admin=True)
async def set_system_data(conn: Connection, msg_id: int, params: SetDataParams) -> None:
    """Save one setting for everyone (administrators only; null removes it)."""
    await _data(conn).set_system_data(params.key, params.value)
    conn.send_result(msg_id)


@command("frontend/subscribe_system_data", GetDataParams)
def subscribe_system_data(conn: Connection, msg_id: int, params: GetDataParams) -> None:
    """The system-wide settings now, and again after each change."""
    conn.ensure_subscription_room()
    data, prefix = _data(conn), protocol.event_prefix(msg_id)

    def send() -> None:
        value = _value(data.store.system_data(), params.key)
        conn.send(protocol.event_message(prefix, protocol.dumps(value)))

    conn.subscriptions[msg_id] = data.watch_system(send)
    conn.send_result(msg_id)
    send()


COMMANDS: Final[tuple[CommandSpec[Any], ...]] = (
    get_panels,
    get_themes,
    get_translations,
    get_icons,
    get_version,
    get_user_data,
    set_user_data,
    subscribe_user_data,
    get_system_data,
    set_system_data,
    subscribe_system_data,
)
