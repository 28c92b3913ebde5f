"""The entity: one thing an integration provides (a light, a sensor), and its device.

An integration subclasses the domain's entity class (hearth.integrations.domains), describes it
(unique id, name, device) and hands it to its EntityPlatform. From then on the entity writes its
own state with `write()`: the platform gave it its entity id and the hub; what people chose in
the entity registry (name, icon) is applied on every write, and an entity that is not
`available` is written as `unavailable`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Final

from hearth.core.context import Context
from hearth.core.state import State

if TYPE_CHECKING:
    from hearth.core.hub import Hub

STATE_UNAVAILABLE: Final = "unavailable"
STATE_UNKNOWN: Final = "unknown"
STATE_ON: Final = "on"
STATE_OFF: Final = "off"


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """The device an entity belongs to, as its integration describes it.

    `identifiers` are (integration, id) pairs that find the device again; `connections` are
    (kind, address) pairs such as ("mac", "aa:bb:..."). A device needs at least one of them.
    """

    identifiers: tuple[tuple[str, str], ...] = ()
    connections: tuple[tuple[str, str], ...] = ()
    name: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    model_id: str | None = None
    sw_version: str | None = None
    hw_version: str | None = None
    serial_number: str | None = None
    configuration_url: str | None = None
    via_device: tuple[str, str] | None = None

    def described(self) -> dict[str, Any]:
        """The fields the device registry stores (hearth.core.registries.devices.DESCRIBED)."""
        return {
            "name": self.name,
            "manufacturer": self.manufacturer,
            "model": self.model,
            "model_id": self.model_id,
            "sw_version": self.sw_version,
            "hw_version": self.hw_version,
            "serial_number": self.serial_number,
            "configuration_url": self.configuration_url,
        }


class Entity:
    """Base of every entity. Subclasses give `state` and their attributes."""

    domain: ClassVar[str] = ""

    def __init__(
        self,
        *,
        unique_id: str | None,
        name: str | None,
        icon: str | None = None,
        device_class: str | None = None,
        entity_category: str | None = None,
        device_info: DeviceInfo | None = None,
        object_id: str | None = None,
    ) -> None:
        self.unique_id = unique_id
        self.name = name
        self.icon = icon
        self.device_class = device_class
        self.entity_category = entity_category
        self.device_info = device_info
        self.object_id = object_id  # the entity id's part after the dot, suggested
        # Set by the platform when the entity is added (and cleared when it is removed).
        self.hub: Hub | None = None
        self.entity_id: str = ""
        self.integration: str = ""
        self.device_id: str | None = None

    # What subclasses describe.

    @property
    def available(self) -> bool:
        """Whether the entity can be reached; an unavailable one is written as `unavailable`."""
        return True

    @property
    def state(self) -> str | None:
        """The state string; None is written as `unknown`."""
        raise NotImplementedError

    def capability_attributes(self) -> dict[str, Any]:
        """Attributes that describe what the entity can do (kept while unavailable)."""
        return {}

    def state_attributes(self) -> dict[str, Any]:
        """Attributes that describe its current state (only while available)."""
        return {}

    # Lifecycle, called by the platform.

    @property
    def added(self) -> bool:
        """Whether the entity is on a platform (and so has an entity id)."""
        return self.hub is not None

    def attributes(self) -> dict[str, Any]:
        """Every attribute to write now, before people's registry choices are applied."""
        attributes = self.capability_attributes()
        if self.available:
            attributes.update(self.state_attributes())
        if self.device_class is not None:
            attributes["device_class"] = self.device_class
        if self.icon is not None:
            attributes["icon"] = self.icon
        if self.name is not None:
            attributes["friendly_name"] = self.name
        return attributes

    def write(self, context: Context | None = None) -> State | None:
        """Publish the current state to the hub; None if the entity is not added."""
        hub = self.hub
        if hub is None:
            return None
        if self.available:
            state = self.state
            value = STATE_UNKNOWN if state is None else state
        else:
            value = STATE_UNAVAILABLE
        attributes = hub.registries.entities.apply(self.entity_id, self.attributes())
        return hub.states.set(self.entity_id, value, attributes, context=context)

    def on_added(self) -> None:
        """Called once the entity has its id and its first state (subscribe to updates here)."""

    def on_removed(self) -> None:
        """Called after the entity left the hub (release what on_added took)."""
