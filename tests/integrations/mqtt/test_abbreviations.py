"""Abbreviated keys and the `~` base topic (hearth.integrations.mqtt.abbreviations)."""

from __future__ import annotations

from hearth.integrations.mqtt.abbreviations import expand


def test_keys_device_and_base_topic() -> None:
    expanded = expand(
        {
            "~": "tasmota/kitchen/",
            "cmd_t": "~cmnd/POWER",
            "stat_t": "~tele/STATE",
            "json_attr_t": "state/~",
            "uniq_id": "abc",
            "avty": [{"t": "~tele/LWT", "pl_avail": "Online"}],
            "dev": {"ids": ["abc"], "mf": "Tasmota", "mdl": "Sonoff", "sw": "13"},
            "unknown_abbr": 1,
        }
    )
    assert expanded == {
        "command_topic": "tasmota/kitchen/cmnd/POWER",
        "state_topic": "tasmota/kitchen/tele/STATE",
        "json_attributes_topic": "state/tasmota/kitchen/",
        "unique_id": "abc",
        "availability": [{"topic": "tasmota/kitchen/tele/LWT", "payload_available": "Online"}],
        "device": {"identifiers": ["abc"], "manufacturer": "Tasmota", "model": "Sonoff",
                   "sw_version": "13"},
        "unknown_abbr": 1,
    }  # fmt: skip


def test_the_long_key_wins_over_its_abbreviation() -> None:
    assert expand({"stat_t": "short", "state_topic": "long"}) == {"state_topic": "long"}


def test_tilde_only_in_topics() -> None:
    assert expand({"~": "base/", "name": "~name", "cmd_t": "~x"}) == {
        "name": "~name",
        "command_topic": "base/x",
    }
