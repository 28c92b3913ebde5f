"""Home Assistant's short key names in discovery payloads, and the `~` base topic.

Devices with little memory (Tasmota, ESPHome) send `stat_t` for `state_topic`, `dev` with `ids`
for the device, and a `~` that stands for a base topic at the start or end of any topic. The
table lists the keys of the components Hearth supports; a short key not listed stays as it is
and is then ignored (and logged once) like any other unknown key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

BASE_TOPIC: Final = "~"

ABBREVIATIONS: Final[Mapping[str, str]] = {
    "avty": "availability",
    "avty_mode": "availability_mode",
    "avty_t": "availability_topic",
    "avty_tpl": "availability_template",
    "bri_cmd_t": "brightness_command_topic",
    "bri_cmd_tpl": "brightness_command_template",
    "bri_scl": "brightness_scale",
    "bri_stat_t": "brightness_state_topic",
    "bri_val_tpl": "brightness_value_template",
    "clr_temp_cmd_t": "color_temp_command_topic",
    "clr_temp_cmd_tpl": "color_temp_command_template",
    "clr_temp_k": "color_temp_kelvin",
    "clr_temp_stat_t": "color_temp_state_topic",
    "clr_temp_val_tpl": "color_temp_value_template",
    "clrm": "color_mode",
    "cmd_t": "command_topic",
    "cmd_tpl": "command_template",
    "dev": "device",
    "dev_cla": "device_class",
    "def_ent_id": "default_entity_id",
    "en": "enabled_by_default",
    "ent_cat": "entity_category",
    "exp_aft": "expire_after",
    "frc_upd": "force_update",
    "ic": "icon",
    "json_attr_t": "json_attributes_topic",
    "json_attr_tpl": "json_attributes_template",
    "max_kelvin": "max_kelvin",
    "max_mirs": "max_mireds",
    "min_kelvin": "min_kelvin",
    "min_mirs": "min_mireds",
    "o": "origin",
    "obj_id": "object_id",
    "on_cmd_type": "on_command_type",
    "opt": "optimistic",
    "pl_avail": "payload_available",
    "pl_cls": "payload_close",
    "pl_lock": "payload_lock",
    "pl_not_avail": "payload_not_available",
    "pl_off": "payload_off",
    "pl_on": "payload_on",
    "pl_open": "payload_open",
    "pl_prs": "payload_press",
    "pl_stop": "payload_stop",
    "pl_unlk": "payload_unlock",
    "pos_clsd": "position_closed",
    "pos_open": "position_open",
    "pos_t": "position_topic",
    "pos_tpl": "position_template",
    "ret": "retain",
    "rgb_cmd_t": "rgb_command_topic",
    "rgb_cmd_tpl": "rgb_command_template",
    "rgb_stat_t": "rgb_state_topic",
    "rgb_val_tpl": "rgb_value_template",
    "schema": "schema",
    "set_pos_t": "set_position_topic",
    "set_pos_tpl": "set_position_template",
    "stat_cla": "state_class",
    "stat_clsd": "state_closed",
    "stat_closing": "state_closing",
    "stat_jam": "state_jammed",
    "stat_locked": "state_locked",
    "stat_locking": "state_locking",
    "stat_off": "state_off",
    "stat_on": "state_on",
    "stat_open": "state_open",
    "stat_opening": "state_opening",
    "stat_stopped": "state_stopped",
    "stat_t": "state_topic",
    "stat_tpl": "state_template",
    "stat_unlocked": "state_unlocked",
    "stat_unlocking": "state_unlocking",
    "stat_val_tpl": "state_value_template",
    "sup_clrm": "supported_color_modes",
    "sug_dsp_prc": "suggested_display_precision",
    "t": "topic",
    "uniq_id": "unique_id",
    "unit_of_meas": "unit_of_measurement",
    "val_tpl": "value_template",
}

DEVICE_ABBREVIATIONS: Final[Mapping[str, str]] = {
    "cns": "connections",
    "cu": "configuration_url",
    "hw": "hw_version",
    "ids": "identifiers",
    "mdl": "model",
    "mdl_id": "model_id",
    "mf": "manufacturer",
    "sa": "suggested_area",
    "sn": "serial_number",
    "sw": "sw_version",
    "via_device": "via_device",
}

ORIGIN_ABBREVIATIONS: Final[Mapping[str, str]] = {
    "name": "name",
    "sw": "sw_version",
    "url": "support_url",
}


def _expand_keys(data: Mapping[str, Any], table: Mapping[str, str]) -> dict[str, Any]:
    # A long key wins over its abbreviation when a payload has both.
    expanded = {table.get(key, key): value for key, value in data.items() if key not in table}
    for key, value in data.items():
        if key in table:
            expanded.setdefault(table[key], value)
    return expanded


def _with_base(value: Any, base: str) -> Any:
    """A topic with `~` at its start or end replaced by the base topic."""
    if not isinstance(value, str) or not base:
        return value
    if value.startswith(BASE_TOPIC):
        return base + value[1:]
    if value.endswith(BASE_TOPIC):
        return value[:-1] + base
    return value


def expand(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The payload with long key names, `~` resolved in every `*_topic` and availability topic."""
    data = _expand_keys(payload, ABBREVIATIONS)
    base = data.pop(BASE_TOPIC, None)
    base = base if isinstance(base, str) else ""
    for key in list(data):
        if key.endswith("_topic"):
            data[key] = _with_base(data[key], base)
    device = data.get("device")
    if isinstance(device, Mapping):
        data["device"] = _expand_keys(device, DEVICE_ABBREVIATIONS)
    origin = data.get("origin")
    if isinstance(origin, Mapping):
        data["origin"] = _expand_keys(origin, ORIGIN_ABBREVIATIONS)
    availability = data.get("availability")
    if isinstance(availability, list):
        data["availability"] = [
            _availability(item, base) if isinstance(item, Mapping) else item
            for item in availability
        ]
    return data


def _availability(item: Mapping[str, Any], base: str) -> dict[str, Any]:
    entry = _expand_keys(item, ABBREVIATIONS)
    if "topic" in entry:
        entry["topic"] = _with_base(entry["topic"], base)
    return entry
