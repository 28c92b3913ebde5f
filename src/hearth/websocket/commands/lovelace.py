"""Dashboard commands (lovelace/*): one dashboard in storage mode, generated until saved."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Final

from pydantic import Field

from hearth.exceptions import NotFound
from hearth.frontend.data import KEY_FRONTEND_DATA, MAX_DASHBOARD_BYTES, check_size
from hearth.websocket.spec import CommandSpec, NoParams, Params, command

if TYPE_CHECKING:
    from hearth.websocket.connection import Connection

DEFAULT_DASHBOARD: Final = "lovelace"
EVENT_LOVELACE_UPDATED: Final = "lovelace_updated"
ERR_CONFIG_NOT_FOUND: Final = "config_not_found"

UrlPath = Annotated[str, Field(min_length=1, max_length=64)]


def _url_path(url_path: str | None) -> str:
    if url_path in (None, DEFAULT_DASHBOARD):
        return DEFAULT_DASHBOARD
    raise NotFound("Hearth has one dashboard, the default one (url_path null).")


class ConfigParams(Params):
    """Fields of lovelace/config."""

    url_path: UrlPath | None = None
    force: bool = False


@command("lovelace/config", ConfigParams)
def get_config(conn: Connection, msg_id: int, params: ConfigParams) -> None:
    """The saved dashboard, or config_not_found: the frontend then generates one."""
    config = conn.request.app[KEY_FRONTEND_DATA].store.dashboard(_url_path(params.url_path))
    if config is None:
        conn.send_error(msg_id, ERR_CONFIG_NOT_FOUND, "No config found.")
        return
    conn.send_result(msg_id, config)


class SaveParams(Params):
    """Fields of lovelace/config/save."""

    config: dict[str, Any]
    url_path: UrlPath | None = None


@command("lovelace/config/save", SaveParams, admin=True)
async def save_config(conn: Connection, msg_id: int, params: SaveParams) -> None:
    """Store a dashboard (administrators only)."""
    url_path = _url_path(params.url_path)
    check_size(params.config, MAX_DASHBOARD_BYTES, "The dashboard")
    await conn.request.app[KEY_FRONTEND_DATA].store.set_dashboard(url_path, params.config)
    conn.hub.bus.fire(EVENT_LOVELACE_UPDATED, {"url_path": params.url_path}, context=conn.context())
    conn.send_result(msg_id)


class DeleteParams(Params):
    """Fields of lovelace/config/delete."""

    url_path: UrlPath | None = None


@command("lovelace/config/delete", DeleteParams, admin=True)
async def delete_config(conn: Connection, msg_id: int, params: DeleteParams) -> None:
    """Forget the stored dashboard: back to the generated one (administrators only)."""
    url_path = _url_path(params.url_path)
    await conn.request.app[KEY_FRONTEND_DATA].store.set_dashboard(url_path, None)
    conn.hub.bus.fire(EVENT_LOVELACE_UPDATED, {"url_path": params.url_path}, context=conn.context())
    conn.send_result(msg_id)


@command("lovelace/info", DeleteParams)
def info(conn: Connection, msg_id: int, params: DeleteParams) -> None:
    """The dashboard's mode: always storage."""
    config = conn.request.app[KEY_FRONTEND_DATA].store.dashboard(_url_path(params.url_path))
    result: dict[str, Any] = {"mode": "storage"}
    if isinstance(config, dict) and isinstance(config.get("views"), list):
        result["views"] = len(config["views"])
    conn.send_result(msg_id, result)


@command("lovelace/resources", NoParams)
def resources(conn: Connection, msg_id: int, params: NoParams) -> None:
    """No extra card resources: Hearth loads no code but the frontend's own."""
    conn.send_result(msg_id, [])


@command("lovelace/dashboards/list", NoParams, admin=True)
def list_dashboards(conn: Connection, msg_id: int, params: NoParams) -> None:
    """No dashboards beyond the default one."""
    conn.send_result(msg_id, [])


COMMANDS: Final[tuple[CommandSpec[Any], ...]] = (
    get_config,
    save_config,
    delete_config,
    info,
    resources,
    list_dashboards,
)
