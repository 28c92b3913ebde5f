"""Every number in the configuration has bounds; the home's name is printable text.

The numeric keys are found by walking the schema, so a new number without bounds fails here.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from pydantic import BaseModel

from hearth import const
from hearth.config import load_config
from hearth.config.schema import Config, CoreSection
from hearth.exceptions import ConfigError
from tests.config.conftest import WriteFiles

OUT_OF_RANGE = ("123456789012345678901234567890", "-123456789012345678901234567890", "1.0e300",
                "-1.0e300", ".inf", "-.inf", ".nan")  # fmt: skip


def _models(annotation: object) -> list[type[BaseModel]]:
    """The models in `annotation` (X, X | None, list[X])."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in typing.get_args(annotation) for model in _models(arg)]


def _is_number(annotation: object) -> bool:
    return annotation in (int, float) or any(_is_number(arg) for arg in typing.get_args(annotation))


def numeric_keys(model: type[BaseModel], path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Key paths of every int or float setting reachable through sections."""
    for name, field in model.model_fields.items():
        if _is_number(field.annotation):
            yield (*path, name)
        for inner in _models(field.annotation):
            if typing.get_origin(field.annotation) is list:
                # Lists of mappings (trusted_networks) hold no numbers today; teach this test
                # to build such an item before adding one.
                assert not list(numeric_keys(inner)), f"{name}: a number inside a list item"
                continue
            yield from numeric_keys(inner, (*path, name))


KEYS = list(numeric_keys(Config))


def test_the_walk_finds_the_known_numbers() -> None:
    found = {".".join(key) for key in KEYS}
    assert {"homeassistant.elevation", "http.server_port", "http.ip_ban_duration",
            "demo.sensor_interval", "auth.password_min_length", "mqtt.port", "mqtt.keepalive",
            "mqtt.birth_message.qos", "mqtt.will_message.qos"} <= found  # fmt: skip


# Keys a section cannot do without, written after the number so that its line stays len(key).
REQUIRED = {
    ("mqtt",): "broker: 192.168.1.2",
    ("mqtt", "birth_message"): "topic: hearth/status",
    ("mqtt", "will_message"): "topic: hearth/status",
}


def _yaml(key: tuple[str, ...], value: str) -> str:
    lines = [f"{'  ' * depth}{part}:" for depth, part in enumerate(key)]
    lines[-1] += f" {value}"
    for depth in range(len(key) - 1, 0, -1):
        required = REQUIRED.get(key[:depth])
        if required is not None:
            lines.append(f"{'  ' * depth}{required}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("value", OUT_OF_RANGE)
@pytest.mark.parametrize("key", KEYS, ids=[".".join(key) for key in KEYS])
def test_every_number_is_bounded(
    config_dir: Path, write_files: WriteFiles, key: tuple[str, ...], value: str
) -> None:
    """Huge, infinite and NaN values stop the hub with one line naming file, line and key."""
    write_files({"configuration.yaml": _yaml(key, value)})
    with pytest.raises(ConfigError) as info:
        load_config(config_dir)
    message = str(info.value)
    assert message.startswith(f"configuration.yaml, line {len(key)}: {'.'.join(key)}: expected")
    assert "\n" not in message


def test_elevation_bounds_are_what_the_api_can_send(
    config_dir: Path, write_files: WriteFiles
) -> None:
    for value in (const.ELEVATION_MIN, const.ELEVATION_MAX):
        write_files({"configuration.yaml": f"homeassistant:\n  elevation: {value}\n"})
        assert orjson.dumps(load_config(config_dir).homeassistant.model_dump())
    write_files({"configuration.yaml": "homeassistant:\n  elevation: 10001\n"})
    with pytest.raises(ConfigError, match="expected an integer from -10000 to 10000"):
        load_config(config_dir)


@pytest.mark.parametrize(
    "name",
    ["a\x07b", "Home\n", "Ho\tme", "\x1b[31mHome", "Ho\x00me", "\u202eemoH", "Ho\u200bme",
     "Home\u2028", "Ho\u00adme", "\ue000", "\ufeffHome", " ", "\u2066Home\u2069"],
)  # fmt: skip
def test_unprintable_names_are_refused(name: str) -> None:
    """Control, format (bidi, zero-width, soft hyphen), private-use and blank names."""
    with pytest.raises(ValueError, match="expected printable text"):
        CoreSection(name=name)


@pytest.mark.parametrize(
    "name",
    ["Home", "Café ☕", "Zuhause am See", "Дом", "خانه\u200cی من", "👨\u200d👩\u200d👧 Home"],
)
def test_printable_names_are_kept(name: str) -> None:
    """Any script, emoji, and the joiners that scripts and emoji sequences need."""
    assert CoreSection(name=name).name == name


def test_an_unprintable_name_names_its_line(config_dir: Path, write_files: WriteFiles) -> None:
    write_files({"configuration.yaml": 'homeassistant:\n  time_zone: UTC\n  name: "A\\x1bB"\n'})
    with pytest.raises(ConfigError) as info:
        load_config(config_dir)
    assert re.fullmatch(
        r"configuration\.yaml, line 3: homeassistant\.name: expected printable text.*",
        str(info.value),
    )
