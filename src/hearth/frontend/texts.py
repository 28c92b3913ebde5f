"""Hearth's own English texts and icons for its domains, in the frontend's resource shapes.

Translations are flat keys `component.<domain>.<category>.<path>`; icons are nested by domain.
Written for Hearth; a domain without texts here falls back to the frontend's own defaults.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

ON_OFF: Final = {"on": "On", "off": "Off"}

TITLES: Final = {
    "demo": "Demo devices",
    "homeassistant": "Hearth core",
    "light": "Light",
    "sensor": "Sensor",
    "switch": "Switch",
    "system_log": "System log",
}

_TOGGLE_SERVICES: Final = {
    "turn_on": ("Turn on", "Switches on the chosen {things}."),
    "turn_off": ("Turn off", "Switches off the chosen {things}."),
    "toggle": ("Toggle", "Switches each chosen {thing} to the other state."),
}


def _toggle_services(thing: str, things: str) -> dict[str, str]:
    texts: dict[str, str] = {}
    for service, (name, description) in _TOGGLE_SERVICES.items():
        texts[f"{service}.name"] = name
        texts[f"{service}.description"] = description.format(thing=thing, things=things)
    return texts


# category -> domain -> path -> text
_TEXTS: Final[Mapping[str, Mapping[str, Mapping[str, str]]]] = {
    "entity_component": {
        "light": {"_.name": "Light", "_.state.on": "On", "_.state.off": "Off"},
        "switch": {"_.name": "Switch", "_.state.on": "On", "_.state.off": "Off"},
        "sensor": {"_.name": "Sensor", "temperature.name": "Temperature"},
    },
    "services": {
        "light": {
            **_toggle_services("light", "lights"),
            "turn_on.fields.brightness.name": "Brightness",
            "turn_on.fields.brightness.description": "How bright, from 0 (off) to 255.",
            "turn_on.fields.brightness_pct.name": "Brightness (%)",
            "turn_on.fields.brightness_pct.description": "How bright, in percent.",
        },
        "switch": _toggle_services("switch", "switches"),
        "homeassistant": _toggle_services("device", "devices of any kind"),
        "system_log": {
            "write.name": "Write to the log",
            "write.description": "Adds a line (shortened if long) to the hub's log.",
            "write.fields.message.name": "Message",
            "write.fields.message.description": "What to write.",
            "write.fields.level.name": "Level",
            "write.fields.level.description": "debug, info, warning, error or critical.",
            "write.fields.logger.name": "Logger",
            "write.fields.logger.description": "The name the line is logged under.",
        },
    },
}

# domain -> icon resources (entity_component: by device class or "_" for any)
_COMPONENT_ICONS: Final[Mapping[str, Any]] = {
    "light": {"_": {"default": "mdi:lightbulb", "state": {"off": "mdi:lightbulb-off"}}},
    "switch": {
        "_": {
            "default": "mdi:toggle-switch-variant",
            "state": {"off": "mdi:toggle-switch-variant-off"},
        }
    },
    "sensor": {"_": {"default": "mdi:eye"}, "temperature": {"default": "mdi:thermometer"}},
}
_SERVICE_ICONS: Final[Mapping[str, Any]] = {
    "light": {
        "turn_on": {"service": "mdi:lightbulb-on"},
        "turn_off": {"service": "mdi:lightbulb-off"},
        "toggle": {"service": "mdi:lightbulb-on-outline"},
    },
    "switch": {
        "turn_on": {"service": "mdi:toggle-switch-variant"},
        "turn_off": {"service": "mdi:toggle-switch-variant-off"},
        "toggle": {"service": "mdi:toggle-switch-variant-outline"},
    },
    "homeassistant": {
        "turn_on": {"service": "mdi:power-on"},
        "turn_off": {"service": "mdi:power-off"},
        "toggle": {"service": "mdi:power"},
    },
    "system_log": {"write": {"service": "mdi:note-text"}},
}


def _wanted(domains: Iterable[str] | None, available: Iterable[str]) -> list[str]:
    return [domain for domain in available if domains is None or domain in domains]


def translations(category: str, domains: Iterable[str] | None) -> dict[str, str]:
    """The flat translation resources of one category, for some domains (None: all)."""
    wanted = set(domains) if domains is not None else None
    if category == "title":
        return {
            f"component.{domain}.title": title
            for domain, title in TITLES.items()
            if wanted is None or domain in wanted
        }
    by_domain = _TEXTS.get(category, {})
    resources: dict[str, str] = {}
    for domain in _wanted(wanted, by_domain):
        for path, text in by_domain[domain].items():
            resources[f"component.{domain}.{category}.{path}"] = text
    return resources


def icons(category: str, domains: Iterable[str] | None) -> dict[str, Any]:
    """Icon resources of one category (entity, entity_component, services), by domain."""
    wanted = set(domains) if domains is not None else None
    source = {"entity_component": _COMPONENT_ICONS, "services": _SERVICE_ICONS}.get(category, {})
    return {domain: source[domain] for domain in _wanted(wanted, source)}
