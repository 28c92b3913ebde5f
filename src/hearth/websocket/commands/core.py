"""Core commands: ping, get_states, get_config, get_services, call_service, fire_event."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Final

from pydantic import Field

from hearth.exceptions import BadRequest
from hearth.websocket import protocol
from hearth.websocket.spec import CommandSpec, NoParams, Params, command

if TYPE_CHECKING:
    from hearth.websocket.connection import Connection

MAX_NAME_LENGTH: Final = 64
MAX_FEATURES: Final = 64

Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME_LENGTH)]
IdOrIds = str | list[str]


@command("ping", NoParams)
def ping(conn: Connection, msg_id: int, params: NoParams) -> None:
    """Answer with pong."""
    conn.send(protocol.pong_message(msg_id))


@command("get_states", NoParams)
def get_states(conn: Connection, msg_id: int, params: NoParams) -> None:
    """Every state: the state machine's cached list, shared by every reply until a change."""
    body = conn.hub.states.all_json()
    conn.send_shared(protocol.result_head(msg_id), body, protocol.MESSAGE_TAIL)


@command("get_config", NoParams)
def get_config(conn: Connection, msg_id: int, params: NoParams) -> None:
    """The hub configuration in Home Assistant's /api/config shape."""
    hub = conn.hub
    conn.send_result(msg_id, hub.config.as_dict(hub.components, hub.state))


@command("get_services", NoParams)
def get_services(conn: Connection, msg_id: int, params: NoParams) -> None:
    """Services by domain: {domain: {service: {name, description, fields}}}."""
    conn.send_result(msg_id, conn.hub.services.as_dict())


class Target(Params):
    """Which entities a service call is for (merged into the service data)."""

    entity_id: IdOrIds | None = None
    device_id: IdOrIds | None = None
    area_id: IdOrIds | None = None
    floor_id: IdOrIds | None = None
    label_id: IdOrIds | None = None


class CallServiceParams(Params):
    """Fields of call_service."""

    domain: Name
    service: Name
    service_data: dict[str, Any] | None = None
    target: Target | None = None
    return_response: bool = False


@command("call_service", CallServiceParams)
async def call_service(conn: Connection, msg_id: int, params: CallServiceParams) -> None:
    """Call a service as this user and wait for it to finish."""
    if params.return_response:
        raise BadRequest("This service does not return a response; omit return_response.")
    data = dict(params.service_data or {})
    if params.target is not None:
        data.update(params.target.model_dump(exclude_none=True))
    context = conn.context()
    await conn.hub.services.call(params.domain, params.service, data, context=context)
    conn.send_result(msg_id, {"context": context.as_dict()})


class FireEventParams(Params):
    """Fields of fire_event."""

    event_type: Name
    event_data: dict[str, Any] | None = None


@command("fire_event", FireEventParams, admin=True)
def fire_event(conn: Connection, msg_id: int, params: FireEventParams) -> None:
    """Fire an event on the bus (administrators only; reserved types refused as over REST)."""
    context = conn.context()
    conn.hub.bus.fire_from_client(params.event_type, params.event_data, context=context)
    conn.send_result(msg_id, {"context": context.as_dict()})


class SupportedFeaturesParams(Params):
    """Fields of supported_features."""

    features: Annotated[dict[Name, int], Field(max_length=MAX_FEATURES)]


@command("supported_features", SupportedFeaturesParams)
def supported_features(conn: Connection, msg_id: int, params: SupportedFeaturesParams) -> None:
    """Record optional protocol features the client supports (coalesce_messages)."""
    conn.features = dict(params.features)
    conn.send_result(msg_id)


COMMANDS: Final[tuple[CommandSpec[Any], ...]] = (
    ping,
    get_states,
    get_config,
    get_services,
    call_service,
    fire_event,
    supported_features,
)
