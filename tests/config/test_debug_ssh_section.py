"""`debug_ssh:`: off by default, port 22222, the web server's hosts unless told otherwise."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from hearth.config.schema import Config


def test_defaults() -> None:
    section = Config().debug_ssh
    assert section.enabled is False
    assert section.port == 22222
    assert section.idle_timeout == 600
    assert section.max_sessions == 4
    assert section.hosts(["127.0.0.1"]) == ["127.0.0.1"]


def test_values() -> None:
    section = Config.model_validate(
        {"debug_ssh": {"enabled": True, "server_host": "192.168.1.2", "idle_timeout": "5m"}}
    ).debug_ssh
    assert section.hosts(["0.0.0.0"]) == ["192.168.1.2"]
    assert section.idle_timeout == 300


@pytest.mark.parametrize(
    "values",
    [
        {"enabled": "maybe"},
        {"port": 0},
        {"port": True},
        {"port": 70000},
        {"idle_timeout": "1s"},
        {"max_sessions": 0},
        {"server_host": "not a host!"},
        {"password": "x"},
    ],
)
def test_invalid(values: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Config.model_validate({"debug_ssh": values})
