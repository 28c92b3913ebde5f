"""`secrets`: literal credentials in configuration files, found by where they are, never shown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hearth.check.checks import secrets
from hearth.check.runner import run_check
from tests.check.support import config_dir, context, finding_ids

PEM_KEY = (
    "-----BEGIN PRIVATE KEY-----\\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\\n"
    "-----END PRIVATE KEY-----"
)
TOKEN = "Zk3qT9vX2mWp8RbL5nYc7HdJ4sGa"  # looks random: 28 characters, mixed case and digits
SECRET_VALUES = ("hunter2-but-longer", TOKEN, "MIGHAgEAMBMGByqGSM49", "s3cr3t-pw")

CASES = [
    ("nothing", "homeassistant:\n  name: Home\n", {}, []),
    ("literal password", "mqtt:\n  password: hunter2-but-longer\n", {}, ["secrets.literal"]),
    ("api key in a list", "x:\n  - api_key: hunter2-but-longer\n", {}, ["secrets.literal"]),
    ("numeric pin-like token", "x:\n  token: 12345678\n", {}, ["secrets.literal"]),
    (
        "from secrets.yaml",
        "mqtt:\n  password: !secret mqtt\n",
        {"secrets.yaml": "mqtt: hunter2-but-longer\n"},
        [],
    ),
    ("from the environment", "mqtt:\n  password: !env_var HOME\n", {}, []),
    ("mqtt key file paths", "mqtt:\n  client_key: tls/mqtt.key\n  client_certificate: c\n", {}, []),
    ("random-looking string", f"x:\n  label: {TOKEN}\n", {}, ["secrets.high_entropy"]),
    ("a long path is not random", "x:\n  file: /var/lib/hearth/configuration/main.yaml\n", {}, []),
    ("a sentence is not random", "x:\n  name: The Quick Brown Fox Jumps Over\n", {}, []),
    ("private key", f'x:\n  blob: "{PEM_KEY}"\n', {}, ["secrets.private_key"]),
    (
        "certificate",
        'x:\n  blob: "-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----"\n',
        {},
        ["secrets.pem_block"],
    ),
    (
        "url with password",
        "x:\n  url: mqtt://hub:s3cr3t-pw@broker.lan:1883\n",
        {},
        ["secrets.url_password"],
    ),
    ("url with user only", "x:\n  url: https://user@example.com/\n", {}, []),
    ("ssl_key is a path", "http:\n  ssl_key: tls/server.key\n", {}, []),
    ("password_min_length is a number", "auth:\n  password_min_length: 16\n", {}, []),
    (
        "included file",
        "mqtt: !include mqtt.yaml\n",
        {"mqtt.yaml": "password: hunter2-but-longer\n"},
        ["secrets.literal"],
    ),
    (
        "unused secrets",
        "mqtt:\n  password: !secret used\n",
        {"secrets.yaml": "used: s3cr3t-pw\nold_one: hunter2-but-longer\n"},
        ["secrets.unused"],
    ),
    (
        "secrets.yaml unused entirely",
        "homeassistant:\n  name: Home\n",
        {"secrets.yaml": "old_one: hunter2-but-longer\n"},
        ["secrets.unused"],
    ),
]


@pytest.mark.parametrize(
    ("config", "files", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_findings(tmp_path: Path, config: str, files: dict[str, str], expected: list[str]) -> None:
    ctx = context(config_dir(tmp_path, config, **files))
    assert finding_ids(secrets.CHECK, ctx) == sorted(expected)


def test_findings_say_where_and_never_what(tmp_path: Path) -> None:
    config = (
        "mqtt: !include mqtt.yaml\n"
        f"x:\n  label: {TOKEN}\n  url: mqtt://hub:s3cr3t-pw@broker.lan\n"
        "y:\n  password: !secret used\n"
    )
    path = config_dir(
        tmp_path,
        config,
        **{"mqtt.yaml": "password: hunter2-but-longer\n", "secrets.yaml": f"used: {PEM_KEY!r}\n"},
    )
    result = run_check(secrets.CHECK, context(path))
    details = sorted(f.detail for f in result.findings)
    assert details == [
        "configuration.yaml, line 3: x.label",
        "configuration.yaml, line 4: x.url",
        "mqtt.yaml, line 1: mqtt.password",
    ]
    shown = json.dumps([f.as_dict("secrets") for f in result.findings])
    for value in SECRET_VALUES:
        assert value not in shown


def test_an_unreadable_configuration_is_not_checked(tmp_path: Path) -> None:
    result = run_check(secrets.CHECK, context(config_dir(tmp_path, "x: !secret missing\n")))
    assert result.status.value == "not_checked"


@pytest.mark.parametrize(
    ("text", "random"),
    [
        (TOKEN, True),
        ("a" * 40, False),
        ("ghp_" + "x" * 10, False),
        ("0123456789abcdef0123456789abcdef", True),
        ("Demo-Home-Living-Room", False),
    ],
)
def test_looks_random(text: str, random: bool) -> None:
    assert secrets.looks_random(text) is random
