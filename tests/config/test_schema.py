"""The schema: defaults, validation of single values, and documentation of every key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from hearth import const
from hearth.config.debug_ssh_fields import DebugSshSection
from hearth.config.mqtt_fields import MqttMessage, MqttSection
from hearth.config.recorder_fields import EntityMatch, RecorderSection
from hearth.config.schema import AuthSection, Config, CoreSection, DemoSection, HttpSection

DOCS = Path(__file__).parents[2] / "docs" / "configuration.md"


def test_defaults() -> None:
    """The defaults are the safe, documented ones."""
    config = Config()
    assert config.homeassistant == CoreSection(
        name="Home", latitude=0.0, longitude=0.0, elevation=0, time_zone="UTC", unit_system="metric"
    )
    assert config.http.server_host == list(const.DEFAULT_SERVER_HOSTS)
    assert config.http.server_port == const.DEFAULT_PORT
    assert config.demo is None
    assert DemoSection() == DemoSection(lights=3, switches=2, sensors=2, sensor_interval=30.0)


def test_models_are_frozen_and_strict_about_keys() -> None:
    """Configuration objects cannot be changed and refuse unknown keys."""
    with pytest.raises(ValidationError):
        HttpSection.model_validate({"port": 1})
    config = Config()
    with pytest.raises(ValidationError):
        config.http.server_port = 1  # type: ignore[misc]


def test_defaults_are_not_shared() -> None:
    """Each HttpSection has its own host list."""
    assert HttpSection().server_host is not HttpSection().server_host


def test_bare_sections_become_defaults() -> None:
    """None for a section means that section with its defaults."""
    config = Config.model_validate({"homeassistant": None, "http": None, "demo": None})
    assert config == Config(demo=DemoSection())


@pytest.mark.parametrize(
    "host",
    ["0.0.0.0", "::", "127.0.0.1", "fe80::1", "fe80::1%eth0", "localhost", "hub.local",
     "my-hub.example.org.", "a" * 63],
)  # fmt: skip
def test_valid_hosts(host: str) -> None:
    """IP literals and RFC 1123 hostnames are accepted."""
    assert HttpSection(server_host=[host]).server_host == [host]


@pytest.mark.parametrize(
    "host",
    ["", "bad host", "under_score", "-leading", "trailing-", "a..b", "a" * 64, "1.2.3.999",
     "http://hub", "hub:8123", "256.1.1.1", "x" * 254, "ünïcode"],
)  # fmt: skip
def test_invalid_hosts(host: str) -> None:
    """Anything that is neither an address nor a hostname is refused."""
    with pytest.raises(ValidationError):
        HttpSection(server_host=[host])


@pytest.mark.parametrize("zone", ["UTC", "Europe/Amsterdam", "America/Argentina/Buenos_Aires"])
def test_valid_time_zones(zone: str) -> None:
    """IANA names are accepted."""
    assert CoreSection(time_zone=zone).time_zone == zone


@pytest.mark.parametrize("zone", ["", "Mars/Base", "/etc/localtime", "../UTC", "Europe", "utc "])
def test_invalid_time_zones(zone: str) -> None:
    """Unknown names and paths are refused."""
    with pytest.raises(ValidationError):
        CoreSection(time_zone=zone)


@pytest.mark.parametrize(
    ("field", "value"),
    [("lights", True), ("sensor_interval", False), ("sensors", -1), ("switches", 100_001)],
)
def test_invalid_demo_values(field: str, value: Any) -> None:
    """Demo counts and the interval are bounded numbers, never booleans."""
    with pytest.raises(ValidationError):
        DemoSection.model_validate({field: value})


def test_numbers_from_text_are_accepted() -> None:
    """Values from !env_var are text; the schema converts them."""
    section = HttpSection.model_validate({"server_port": "8300"})
    assert section.server_port == 8300


def _keys(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


@pytest.mark.parametrize(
    ("section", "model"),
    [
        ("homeassistant", CoreSection),
        ("http", HttpSection),
        ("auth", AuthSection),
        ("demo", DemoSection),
        ("recorder", RecorderSection),
        ("recorder", EntityMatch),  # include, exclude, sensitive
        ("mqtt", MqttSection),
        ("mqtt", MqttMessage),
        ("debug_ssh", DebugSshSection),
    ],
)
def test_every_key_is_documented(section: str, model: type[BaseModel]) -> None:
    """docs/configuration.md has a heading for each section and a table row for each key."""
    text = DOCS.read_text(encoding="utf-8")
    assert f"## `{section}:`" in text
    for key in _keys(model):
        assert f"| `{key}` |" in text, f"{section}.{key} is not documented"
    assert sorted(_keys(Config)) == [
        "auth",
        "debug_ssh",
        "demo",
        "homeassistant",
        "http",
        "mqtt",
        "recorder",
    ]


@pytest.mark.parametrize("tag", ["!secret NAME", "!include FILE", "!env_var NAME [DEFAULT]"])
def test_every_tag_is_documented(tag: str) -> None:
    """Each tag has its own section in docs/configuration.md."""
    assert f"### `{tag}`" in DOCS.read_text(encoding="utf-8")
