"""Area, floor and label registry commands: config/{area,floor,label}_registry/*."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Final

from pydantic import Field

from hearth.exceptions import NotFound
from hearth.websocket.spec import CommandSpec, NoParams, Params, command

if TYPE_CHECKING:
    from hearth.core.registries.items import ItemRegistry
    from hearth.websocket.connection import Connection

MAX_NAME: Final = 100
MAX_TEXT: Final = 255
MAX_ITEMS: Final = 100

Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME, pattern=r"\S")]
Text = Annotated[str, Field(max_length=MAX_TEXT)]
Id = Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]
IdList = Annotated[list[Id], Field(max_length=MAX_ITEMS)]
TextList = Annotated[list[Text], Field(max_length=MAX_ITEMS)]
Level = Annotated[int, Field(ge=-1000, le=1000)]


def _fields(params: Params, *skip: str) -> dict[str, Any]:
    """The fields the client sent (its nulls included: they clear a value)."""
    return {
        name: getattr(params, name)
        for name in params.model_fields_set
        if name not in skip and name != "name"
    }


def _check_refs(conn: Connection, fields: dict[str, Any]) -> None:
    registries = conn.hub.registries
    floor_id = fields.get("floor_id")
    if floor_id is not None and floor_id not in registries.floors:
        raise NotFound("No floor with this id.")
    for label_id in fields.get("labels") or ():
        if label_id not in registries.labels:
            raise NotFound(f"No label with the id {label_id!r}.")
    for field in ("humidity_entity_id", "temperature_entity_id"):
        entity_id = fields.get(field)
        if entity_id is not None and entity_id not in conn.hub.states:
            raise NotFound(f"{field}: no entity {entity_id}.")


async def _create(conn: Connection, registry: ItemRegistry, msg_id: int, params: Any) -> None:
    fields = _fields(params)
    _check_refs(conn, fields)
    conn.send_result(msg_id, await registry.create(params.name, fields))


async def _update(conn: Connection, registry: ItemRegistry, msg_id: int, params: Any) -> None:
    id_field = registry.kind.id_field
    fields = _fields(params, id_field)
    if params.name is not None:
        fields["name"] = params.name
    _check_refs(conn, fields)
    conn.send_result(msg_id, await registry.update(getattr(params, id_field), fields))


# Areas.


class AreaFields(Params):
    """The fields of an area."""

    icon: Text | None = None
    floor_id: Id | None = None
    labels: IdList = Field(default_factory=list)
    aliases: TextList = Field(default_factory=list)
    picture: Text | None = None
    humidity_entity_id: Id | None = None
    temperature_entity_id: Id | None = None


class CreateAreaParams(AreaFields):
    """Fields of config/area_registry/create."""

    name: Name


class UpdateAreaParams(AreaFields):
    """Fields of config/area_registry/update."""

    area_id: Id
    name: Name | None = None


class AreaParams(Params):
    """One area."""

    area_id: Id


@command("config/area_registry/list", NoParams)
def list_areas(conn: Connection, msg_id: int, params: NoParams) -> None:
    """Every area."""
    conn.send_result(msg_id, conn.hub.registries.areas.as_list())


@command("config/area_registry/create", CreateAreaParams, admin=True)
async def create_area(conn: Connection, msg_id: int, params: CreateAreaParams) -> None:
    """Add an area."""
    await _create(conn, conn.hub.registries.areas, msg_id, params)


@command("config/area_registry/update", UpdateAreaParams, admin=True)
async def update_area(conn: Connection, msg_id: int, params: UpdateAreaParams) -> None:
    """Change an area."""
    await _update(conn, conn.hub.registries.areas, msg_id, params)


@command("config/area_registry/delete", AreaParams, admin=True)
async def delete_area(conn: Connection, msg_id: int, params: AreaParams) -> None:
    """Remove an area; its entities and devices lose it."""
    await conn.hub.registries.areas.delete(params.area_id)
    conn.send_result(msg_id, "success")


# Floors.


class FloorFields(Params):
    """The fields of a floor."""

    icon: Text | None = None
    level: Level | None = None
    aliases: TextList = Field(default_factory=list)


class CreateFloorParams(FloorFields):
    """Fields of config/floor_registry/create."""

    name: Name


class UpdateFloorParams(FloorFields):
    """Fields of config/floor_registry/update."""

    floor_id: Id
    name: Name | None = None


class FloorParams(Params):
    """One floor."""

    floor_id: Id


@command("config/floor_registry/list", NoParams)
def list_floors(conn: Connection, msg_id: int, params: NoParams) -> None:
    """Every floor."""
    conn.send_result(msg_id, conn.hub.registries.floors.as_list())


@command("config/floor_registry/create", CreateFloorParams, admin=True)
async def create_floor(conn: Connection, msg_id: int, params: CreateFloorParams) -> None:
    """Add a floor."""
    await _create(conn, conn.hub.registries.floors, msg_id, params)


@command("config/floor_registry/update", UpdateFloorParams, admin=True)
async def update_floor(conn: Connection, msg_id: int, params: UpdateFloorParams) -> None:
    """Change a floor."""
    await _update(conn, conn.hub.registries.floors, msg_id, params)


@command("config/floor_registry/delete", FloorParams, admin=True)
async def delete_floor(conn: Connection, msg_id: int, params: FloorParams) -> None:
    """Remove a floor; its areas lose it."""
    await conn.hub.registries.floors.delete(params.floor_id)
    conn.send_result(msg_id, "success")


# Labels.


class LabelFields(Params):
    """The fields of a label."""

    icon: Text | None = None
    color: Text | None = None
    description: Text | None = None


class CreateLabelParams(LabelFields):
    """Fields of config/label_registry/create."""

    name: Name


class UpdateLabelParams(LabelFields):
    """Fields of config/label_registry/update."""

    label_id: Id
    name: Name | None = None


class LabelParams(Params):
    """One label."""

    label_id: Id


@command("config/label_registry/list", NoParams)
def list_labels(conn: Connection, msg_id: int, params: NoParams) -> None:
    """Every label."""
    conn.send_result(msg_id, conn.hub.registries.labels.as_list())


@command("config/label_registry/create", CreateLabelParams, admin=True)
async def create_label(conn: Connection, msg_id: int, params: CreateLabelParams) -> None:
    """Add a label."""
    await _create(conn, conn.hub.registries.labels, msg_id, params)


@command("config/label_registry/update", UpdateLabelParams, admin=True)
async def update_label(conn: Connection, msg_id: int, params: UpdateLabelParams) -> None:
    """Change a label."""
    await _update(conn, conn.hub.registries.labels, msg_id, params)


@command("config/label_registry/delete", LabelParams, admin=True)
async def delete_label(conn: Connection, msg_id: int, params: LabelParams) -> None:
    """Remove a label from everything that carries it."""
    await conn.hub.registries.labels.delete(params.label_id)
    conn.send_result(msg_id, "success")


COMMANDS: Final[tuple[CommandSpec[Any], ...]] = (
    list_areas,
    create_area,
    update_area,
    delete_area,
    list_floors,
    create_floor,
    update_floor,
    delete_floor,
    list_labels,
    create_label,
    update_label,
    delete_label,
)
