"""Entity and device registry commands: config/entity_registry/*, config/device_registry/*."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Final

from pydantic import Field

from hearth.core.state import valid_entity_id
from hearth.exceptions import BadRequest, InvalidEntityId
from hearth.websocket.spec import CommandSpec, NoParams, Params, command

if TYPE_CHECKING:
    from hearth.websocket.connection import Connection

MAX_TEXT: Final = 255
MAX_ITEMS: Final = 100
MAX_ENTITY_IDS: Final = 10_000

Text = Annotated[str, Field(max_length=MAX_TEXT)]
Id = Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]
EntityId = Annotated[str, Field(min_length=3, max_length=MAX_TEXT)]
IdList = Annotated[list[Id], Field(max_length=MAX_ITEMS)]
TextList = Annotated[list[Text], Field(max_length=MAX_ITEMS)]


def _entity_id(entity_id: str) -> str:
    if not valid_entity_id(entity_id):
        raise InvalidEntityId("entity_id: expected an entity id like light.kitchen.")
    return entity_id


@command("config/entity_registry/list_for_display", NoParams)
def list_for_display(conn: Connection, msg_id: int, params: NoParams) -> None:
    """The compact list every dashboard loads."""
    conn.send_result(msg_id, conn.hub.registries.entities.display_list())


@command("config/entity_registry/list", NoParams)
def list_entities(conn: Connection, msg_id: int, params: NoParams) -> None:
    """Every registry entry."""
    conn.send_result(msg_id, conn.hub.registries.entities.as_list())


class EntityParams(Params):
    """One entity."""

    entity_id: EntityId


@command("config/entity_registry/get", EntityParams)
def get_entity(conn: Connection, msg_id: int, params: EntityParams) -> None:
    """One entry with its aliases and original values."""
    entity_id = _entity_id(params.entity_id)
    conn.send_result(msg_id, conn.hub.registries.entities.extended(entity_id))


class EntriesParams(Params):
    """Several entities."""

    entity_ids: Annotated[list[EntityId], Field(max_length=MAX_ENTITY_IDS)]


@command("config/entity_registry/get_entries", EntriesParams)
def get_entries(conn: Connection, msg_id: int, params: EntriesParams) -> None:
    """Entries by entity id; null for an entity that is not registered."""
    registry = conn.hub.registries.entities
    conn.send_result(
        msg_id,
        {
            entity_id: registry.extended(entity_id) if entity_id in registry else None
            for entity_id in params.entity_ids
        },
    )


class UpdateEntityParams(Params):
    """What the entity settings dialog sends; the fields Hearth cannot change must be unchanged."""

    entity_id: EntityId
    name: Text | None = None
    icon: Text | None = None
    area_id: Id | None = None
    labels: IdList | None = None
    aliases: TextList | None = None
    hidden_by: Text | None = None
    disabled_by: Text | None = None
    device_class: Text | None = None
    new_entity_id: EntityId | None = None
    categories: dict[Id, Id | None] | None = None
    options_domain: Id | None = None
    options: dict[Text, Any] | None = None


_NOT_EDITABLE: Final = ("disabled_by", "categories", "options_domain", "options")


@command("config/entity_registry/update", UpdateEntityParams, admin=True)
async def update_entity(conn: Connection, msg_id: int, params: UpdateEntityParams) -> None:
    """Name, icon, area, labels, aliases, hidden: what people may change about an entity."""
    entity_id = _entity_id(params.entity_id)
    registry = conn.hub.registries.entities
    entry = registry.get(entity_id)
    if params.new_entity_id not in (None, entity_id):
        raise BadRequest("Changing an entity id is not supported.")
    for field in _NOT_EDITABLE:
        if field in params.model_fields_set and getattr(params, field) not in (None, {}):
            if field == "disabled_by" and entry["disabled_by"] == params.disabled_by:
                continue
            raise BadRequest(f"{field}: cannot be changed for this entity.")
    changes: dict[str, Any] = {
        field: getattr(params, field)
        for field in ("name", "icon", "area_id", "labels", "aliases", "hidden_by", "device_class")
        if field in params.model_fields_set
    }
    for field in ("name", "icon"):
        if isinstance(changes.get(field), str) and not changes[field].strip():
            changes[field] = None
    await registry.update(entity_id, changes)
    conn.send_result(msg_id, {"entity_entry": registry.extended(entity_id)})


@command("config/entity_registry/remove", EntityParams, admin=True)
async def remove_entity(conn: Connection, msg_id: int, params: EntityParams) -> None:
    """Forget an entity no integration provides any more."""
    entity_id = _entity_id(params.entity_id)
    await conn.hub.registries.entities.remove(entity_id, provided=entity_id in conn.hub.states)
    conn.send_result(msg_id)


@command("config/device_registry/list", NoParams)
def list_devices(conn: Connection, msg_id: int, params: NoParams) -> None:
    """Every device."""
    conn.send_result(msg_id, conn.hub.registries.devices.as_list())


class UpdateDeviceParams(Params):
    """What the device page sends."""

    device_id: Id
    name_by_user: Text | None = None
    area_id: Id | None = None
    labels: IdList | None = None
    disabled_by: Text | None = None


@command("config/device_registry/update", UpdateDeviceParams, admin=True)
async def update_device(conn: Connection, msg_id: int, params: UpdateDeviceParams) -> None:
    """Name a device, move it to an area or label it."""
    if params.disabled_by is not None:
        raise BadRequest("disabled_by: cannot be changed for this device.")
    changes: dict[str, Any] = {
        field: getattr(params, field)
        for field in ("name_by_user", "area_id", "labels")
        if field in params.model_fields_set
    }
    conn.send_result(msg_id, await conn.hub.registries.devices.update(params.device_id, changes))


COMMANDS: Final[tuple[CommandSpec[Any], ...]] = (
    list_for_display,
    list_entities,
    get_entity,
    get_entries,
    update_entity,
    remove_entity,
    list_devices,
    update_device,
)
