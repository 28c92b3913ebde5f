"""validation_error: pydantic errors become one line naming file, line, key and expectation."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from hearth.config.errors import validation_error
from hearth.config.loader import read_configuration
from hearth.config.schema import Config, HttpSection
from hearth.exceptions import ConfigError
from tests.config.conftest import WriteFiles


def _message(config_dir: Path, write_files: WriteFiles, text: str) -> str:
    write_files({"configuration.yaml": text})
    loaded = read_configuration(config_dir)
    with pytest.raises(ValidationError) as info:
        Config.model_validate(loaded.data)
    error = validation_error(info.value, loaded)
    assert isinstance(error, ConfigError)
    return str(error)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "homeassistant:\n  elevation: high\n",
            "configuration.yaml, line 2: homeassistant.elevation: expected an integer from -10000 "
            "to 10000",
        ),
        (
            "homeassistant:\n  longitude: east\n",
            "configuration.yaml, line 2: homeassistant.longitude: expected a number from -180 to "
            "180",
        ),
        (
            "homeassistant:\n  latitude: .inf\n",
            "configuration.yaml, line 2: homeassistant.latitude: expected a number from -90 to 90",
        ),
        (
            "demo:\n  sensor_interval: 0.01\n",
            "configuration.yaml, line 2: demo.sensor_interval: expected a number from 0.05 to "
            "86400",
        ),
        (
            "demo:\n  switches: 1.5\n",
            "configuration.yaml, line 2: demo.switches: expected an integer from 0 to 100000",
        ),
        (
            "homeassistant:\n  name: ''\n",
            "configuration.yaml, line 2: homeassistant.name: expected at least 1 character(s)",
        ),
        (
            "homeassistant:\n  name: [a]\n",
            "configuration.yaml, line 2: homeassistant.name: expected text",
        ),
        (
            "http:\n  server_host: {a: 1}\n",
            "configuration.yaml, line 2: http.server_host: expected a list",
        ),
        (
            "http: [1]\n",
            "configuration.yaml, line 1: http: expected a mapping of keys to values",
        ),
        (
            "demo:\n  extra:\n    deeper: 1\n",
            "configuration.yaml, line 2: demo.extra: unknown key 'extra' (allowed: lights, "
            "sensor_interval, sensors, switches)",
        ),
    ],
)
def test_messages(config_dir: Path, write_files: WriteFiles, text: str, message: str) -> None:
    """Each kind of schema error has a plain-words expectation."""
    assert _message(config_dir, write_files, text) == message


def test_first_error_in_file_order(config_dir: Path, write_files: WriteFiles) -> None:
    """With several problems, the one written first is reported."""
    text = "demo:\n  lights: x\nhomeassistant:\n  name: ''\n"
    assert _message(config_dir, write_files, text) == (
        "configuration.yaml, line 2: demo.lights: expected an integer from 0 to 100000"
    )


def test_errors_in_the_main_file_come_before_included_ones(
    config_dir: Path, write_files: WriteFiles
) -> None:
    """Problems in configuration.yaml are reported before those in included files."""
    write_files({"h.yaml": "\n\n\nserver_port: x\n"})
    text = "http: !include h.yaml\n\n\n\n\n\ndemo:\n  lights: x\n"
    assert _message(config_dir, write_files, text) == (
        "configuration.yaml, line 8: demo.lights: expected an integer from 0 to 100000"
    )


# Every key of `http:`, as the "allowed:" part of an unknown-key error lists them.
HTTP_KEYS = ", ".join(sorted(HttpSection.model_fields))


def test_unknown_key_inside_secret_is_not_named(config_dir: Path, write_files: WriteFiles) -> None:
    """Keys inside a secret's value are part of the secret."""
    write_files({"secrets.yaml": "http_conf:\n  private_name: 1\n"})
    assert _message(config_dir, write_files, "\nhttp: !secret http_conf\n") == (
        f"configuration.yaml, line 2: http: unknown key (allowed: {HTTP_KEYS}) "
        "(value from !secret http_conf)"
    )
