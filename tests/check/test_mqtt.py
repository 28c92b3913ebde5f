"""`mqtt`: TLS, credentials and the running hub's connection, as tables and on a config dir."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from hearth import const
from hearth.check.checks import mqtt
from hearth.check.model import Status
from hearth.check.runner import run_check
from hearth.config.mqtt_fields import MqttSection
from hearth.integrations.mqtt.status import ConnectionState, MqttStatus, write_status
from tests.check.support import config_dir, context, finding_ids

STATIC = [
    ("tls with credentials", {"broker": "192.168.1.2", "username": "hub", "password": "x"}, []),
    ("anonymous", {"broker": "192.168.1.2"}, ["mqtt.no_credentials"]),
    ("clear text on the LAN", {"broker": "192.168.1.2", "tls": False, "username": "h"},
     ["mqtt.no_tls"]),
    ("clear text on loopback", {"broker": "127.0.0.1", "tls": False, "username": "h"}, []),
    ("clear text to localhost", {"broker": "localhost", "tls": False, "username": "h"}, []),
    ("clear text to a name", {"broker": "mqtt.home", "tls": False, "username": "h"},
     ["mqtt.no_tls"]),
    ("clear text off the LAN", {"broker": "198.51.100.4", "tls": False, "username": "h"},
     ["mqtt.plaintext_remote"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("settings", "expected"), [c[1:] for c in STATIC], ids=[c[0] for c in STATIC]
)
def test_settings(settings: dict[str, Any], expected: list[str]) -> None:
    found = mqtt.static_findings(MqttSection(**settings), [])
    assert sorted(finding.rule.id for finding in found) == expected


def test_declared_local_networks_count_as_local() -> None:
    section = MqttSection(broker="198.51.100.4", tls=False, username="h")
    found = mqtt.static_findings(section, ["198.51.100.0/24"])
    assert [finding.rule.id for finding in found] == ["mqtt.no_tls"]


STATUS = [
    ("no hub", None, ["mqtt.no_state"]),
    ("connected", {"state": "connected", "broker": "b:8883", "tls": True, "username": "hub",
                   "protocol": "5", "broker_version": "mosquitto version 2.0.11"},
     ["mqtt.connected"]),
    ("wrong password", {"state": "auth_failed", "broker": "b:8883", "detail": "refused"},
     ["mqtt.auth_failed"]),
    ("bad certificate", {"state": "tls_failed", "broker": "b:8883"}, ["mqtt.tls_failed"]),
    ("unreachable", {"state": "disconnected", "broker": "b:8883", "failures": 3},
     ["mqtt.unreachable"]),
    ("first attempt", {"state": "connecting", "broker": "b:8883", "failures": 0}, []),
]  # fmt: skip


@pytest.mark.parametrize(
    ("status", "expected"), [c[1:] for c in STATUS], ids=[c[0] for c in STATUS]
)
def test_connection_state(status: dict[str, Any] | None, expected: list[str]) -> None:
    assert [finding.rule.id for finding in mqtt.status_findings(status)] == expected


def test_connected_detail_names_tls_user_protocol_and_version() -> None:
    status = {"state": "connected", "broker": "b:8883", "tls": True, "username": "hub",
              "protocol": "5", "broker_version": "mosquitto version 2.0.11"}  # fmt: skip
    (finding,) = mqtt.status_findings(status)
    assert finding.detail == "b:8883: TLS, user hub, MQTT 5, broker mosquitto version 2.0.11"


def test_not_configured_passes(tmp_path: Path) -> None:
    path = config_dir(tmp_path, "homeassistant:\n  name: Home\n")
    result = run_check(mqtt.CHECK, context(path))
    assert (result.status, result.findings) == (Status.PASS, ())


def _running_hub(path: Path, status: MqttStatus) -> None:
    """What a running hub leaves: its pid in the lock file, its MQTT status beside it."""
    (path / const.LOCK_FILE).write_text(f"{os.getpid()}\n")
    write_status(path, status)


CONFIG = "mqtt:\n  broker: 192.168.1.2\n  username: hub\n  password: !secret mqtt\n"


def test_a_running_hub_with_a_wrong_password_is_a_failure(tmp_path: Path) -> None:
    path = config_dir(tmp_path, CONFIG, **{"secrets.yaml": "mqtt: s3cr3t-pw\n"})
    status = MqttStatus(broker="192.168.1.2:8883").changed(
        ConnectionState.AUTH_FAILED, "the broker refused the username and password", failures=1
    )
    _running_hub(path, status)
    assert finding_ids(mqtt.CHECK, context(path)) == ["mqtt.auth_failed"]
    assert (path / const.MQTT_STATUS_FILE).stat().st_mode & 0o777 == 0o600
    assert "s3cr3t-pw" not in (path / const.MQTT_STATUS_FILE).read_text()


def test_a_status_left_by_a_stopped_hub_is_ignored(tmp_path: Path) -> None:
    path = config_dir(tmp_path, CONFIG, **{"secrets.yaml": "mqtt: s3cr3t-pw\n"})
    _running_hub(path, MqttStatus().changed(ConnectionState.AUTH_FAILED))
    (path / const.LOCK_FILE).write_text("")  # the hub released its lock
    assert finding_ids(mqtt.CHECK, context(path)) == ["mqtt.no_state"]
