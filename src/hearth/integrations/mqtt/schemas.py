"""What a discovery payload may say, per component, with bounds on every value.

Threat: discovery payloads come from any client that may publish under the discovery prefix.
Every text is bounded, topics are checked (no wildcards to subscribe to everything, nothing of
the broker's own `$` topics), templates are parsed into Hearth's subset when the payload is
read (a template outside it refuses the whole payload), and unknown keys are ignored.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from hearth.config.mqtt_fields import check_topic
from hearth.integrations.mqtt import templates
from hearth.integrations.mqtt.templates import Template

MAX_TEXT: Final = 255
MAX_LIST: Final = 16

VALUE_ROOTS: Final = frozenset({"value", "value_json"})
COMMAND_ROOTS: Final = frozenset({"value"})
POSITION_ROOTS: Final = frozenset({"value", "position"})
RGB_ROOTS: Final = frozenset({"value", "red", "green", "blue"})


def _topic(value: str) -> str:
    problem = check_topic(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def _payload(value: Any) -> Any:
    """Payloads compare as text; Zigbee2MQTT writes some as JSON true/false or numbers."""
    if isinstance(value, bool | int | float):
        return templates.as_text(value)
    return value


def _template(roots: frozenset[str]) -> BeforeValidator:
    def parse(value: Any) -> Any:
        if isinstance(value, Template):
            return value
        if not isinstance(value, str):
            raise ValueError("expected a template (text)")
        try:
            return templates.parse(value, roots)
        except templates.TemplateError as err:
            raise ValueError(f"a template outside Hearth's subset ({err})") from None

    return BeforeValidator(parse)


Text = Annotated[str, Field(max_length=MAX_TEXT)]
Topic = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(_topic)]
Payload = Annotated[str, BeforeValidator(_payload), Field(max_length=MAX_TEXT)]
ValueTemplate = Annotated[Template, _template(VALUE_ROOTS)]
CommandTemplate = Annotated[Template, _template(COMMAND_ROOTS)]
PositionTemplate = Annotated[Template, _template(POSITION_ROOTS)]
RgbTemplate = Annotated[Template, _template(RGB_ROOTS)]
Qos = Annotated[int, Field(ge=0, le=2, strict=True)]
Scale = Annotated[int, Field(ge=1, le=10_000, strict=True)]
Mireds = Annotated[int, Field(ge=25, le=1000, strict=True)]
Kelvin = Annotated[int, Field(ge=1000, le=40_000, strict=True)]


def _one_is_a_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class Availability(BaseModel):
    """One entry of `availability`."""

    model_config = ConfigDict(extra="ignore", frozen=True, arbitrary_types_allowed=True)

    topic: Topic
    payload_available: Payload = "online"
    payload_not_available: Payload = "offline"
    value_template: ValueTemplate | None = None


class Device(BaseModel):
    """`device`: what groups entities into one device in the device registry."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    identifiers: Annotated[
        list[Text], BeforeValidator(_one_is_a_list), Field(max_length=MAX_LIST)
    ] = []
    connections: Annotated[list[tuple[Text, Text]], Field(max_length=MAX_LIST)] = []
    name: Text | None = None
    manufacturer: Text | None = None
    model: Text | None = None
    model_id: Text | None = None
    sw_version: Text | None = None
    hw_version: Text | None = None
    serial_number: Text | None = None
    configuration_url: Text | None = None
    suggested_area: Text | None = None
    via_device: Text | None = None


class Common(BaseModel):
    """Keys every component has."""

    model_config = ConfigDict(extra="ignore", frozen=True, arbitrary_types_allowed=True)

    name: Text | None = None
    unique_id: Text | None = None
    object_id: Text | None = None
    default_entity_id: Text | None = None
    icon: Text | None = None
    device_class: Text | None = None
    entity_category: Literal["config", "diagnostic"] | None = None
    enabled_by_default: bool = True
    qos: Qos = 0
    retain: bool = False
    optimistic: bool | None = None
    availability_topic: Topic | None = None
    availability_template: ValueTemplate | None = None
    payload_available: Payload = "online"
    payload_not_available: Payload = "offline"
    availability: Annotated[list[Availability], Field(max_length=MAX_LIST)] = []
    availability_mode: Literal["all", "any", "latest"] = "latest"
    device: Device | None = None
    origin: dict[str, Any] | None = None
    platform: Text | None = None  # device-based discovery names the component here


class Switch(Common):
    """`switch`."""

    command_topic: Topic | None = None
    command_template: CommandTemplate | None = None
    state_topic: Topic | None = None
    value_template: ValueTemplate | None = None
    payload_on: Payload = "ON"
    payload_off: Payload = "OFF"
    state_on: Payload | None = None
    state_off: Payload | None = None


class BinarySensor(Common):
    """`binary_sensor`."""

    state_topic: Topic
    value_template: ValueTemplate | None = None
    payload_on: Payload = "ON"
    payload_off: Payload = "OFF"


class Sensor(Common):
    """`sensor`."""

    state_topic: Topic
    value_template: ValueTemplate | None = None
    unit_of_measurement: Text | None = None
    state_class: Literal["measurement", "total", "total_increasing"] | None = None
    force_update: bool = False
    suggested_display_precision: Annotated[int, Field(ge=0, le=10, strict=True)] | None = None


class Button(Common):
    """`button`."""

    command_topic: Topic
    command_template: CommandTemplate | None = None
    payload_press: Payload = "PRESS"


class Cover(Common):
    """`cover`."""

    command_topic: Topic | None = None
    state_topic: Topic | None = None
    value_template: ValueTemplate | None = None
    payload_open: Payload | None = "OPEN"
    payload_close: Payload | None = "CLOSE"
    payload_stop: Payload | None = "STOP"
    state_open: Payload = "open"
    state_opening: Payload = "opening"
    state_closed: Payload = "closed"
    state_closing: Payload = "closing"
    state_stopped: Payload = "stopped"
    position_topic: Topic | None = None
    position_template: ValueTemplate | None = None
    position_open: Annotated[int, Field(ge=0, le=10_000, strict=True)] = 100
    position_closed: Annotated[int, Field(ge=0, le=10_000, strict=True)] = 0
    set_position_topic: Topic | None = None
    set_position_template: PositionTemplate | None = None


class Lock(Common):
    """`lock`."""

    command_topic: Topic
    command_template: CommandTemplate | None = None
    state_topic: Topic | None = None
    value_template: ValueTemplate | None = None
    payload_lock: Payload = "LOCK"
    payload_unlock: Payload = "UNLOCK"
    payload_open: Payload | None = None
    state_locked: Payload = "LOCKED"
    state_unlocked: Payload = "UNLOCKED"
    state_locking: Payload = "LOCKING"
    state_unlocking: Payload = "UNLOCKING"
    state_jammed: Payload = "JAMMED"
    state_open: Payload = "OPEN"
    state_opening: Payload = "OPENING"


class LightBase(Common):
    """Keys of both light schemas."""

    schema_: Annotated[Literal["default", "basic", "json"], Field(alias="schema")] = "default"
    command_topic: Topic
    state_topic: Topic | None = None
    brightness_scale: Scale = 255
    min_mireds: Mireds | None = None
    max_mireds: Mireds | None = None
    min_kelvin: Kelvin | None = None
    max_kelvin: Kelvin | None = None


class DefaultLight(LightBase):
    """`light` with the default schema: one topic per property."""

    payload_on: Payload = "ON"
    payload_off: Payload = "OFF"
    state_value_template: ValueTemplate | None = None
    on_command_type: Literal["last", "first", "brightness"] = "last"
    brightness_command_topic: Topic | None = None
    brightness_command_template: CommandTemplate | None = None
    brightness_state_topic: Topic | None = None
    brightness_value_template: ValueTemplate | None = None
    color_temp_kelvin: bool = False
    color_temp_command_topic: Topic | None = None
    color_temp_command_template: CommandTemplate | None = None
    color_temp_state_topic: Topic | None = None
    color_temp_value_template: ValueTemplate | None = None
    rgb_command_topic: Topic | None = None
    rgb_command_template: RgbTemplate | None = None
    rgb_state_topic: Topic | None = None
    rgb_value_template: ValueTemplate | None = None


ColorModeName = Literal[
    "onoff", "brightness", "color_temp", "hs", "xy", "rgb", "rgbw", "rgbww", "white"
]


class JsonLight(LightBase):
    """`light` with `schema: json`: one JSON object per command and per state."""

    brightness: bool = False
    color_temp_kelvin: bool = False
    supported_color_modes: Annotated[list[ColorModeName], Field(max_length=9)] = []
    # Older payloads say what they support with flags instead of supported_color_modes.
    color_temp: bool = False
    color_mode: bool = False
    transition: bool = False


COMPONENTS: Final[dict[str, type[Common]]] = {
    "switch": Switch,
    "binary_sensor": BinarySensor,
    "sensor": Sensor,
    "button": Button,
    "cover": Cover,
    "lock": Lock,
}


def model_for(component: str, data: dict[str, Any]) -> type[Common] | None:
    """The schema of a component's payload (the light's depends on its `schema`), or None."""
    if component == "light":
        return JsonLight if data.get("schema") == "json" else DefaultLight
    return COMPONENTS.get(component)


def known_keys(model: type[Common]) -> frozenset[str]:
    """The keys a model reads (aliases included)."""
    return frozenset(field.alias or name for name, field in model.model_fields.items())
