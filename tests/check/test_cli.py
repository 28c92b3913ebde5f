"""`hearth check`: exit codes, text and JSON output, the demo configuration, read-only use."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner, Result

from hearth.check.checks import python_support
from hearth.cli import main
from tests.check.support import HARDENED_SSHD, PASSWORD, config_dir, hardened_dir, open_auth, write

SCHEMA = json.loads((Path(__file__).parents[2] / "docs" / "check-report.schema.json").read_text())


@pytest.fixture(autouse=True)
def _supported_python(monkeypatch: pytest.MonkeyPatch) -> None:
    """The grades here must not depend on how close today is to this Python's end of life."""
    monkeypatch.setitem(python_support.END_OF_LIFE, sys.version_info[:2], date(2100, 1, 1))


def hearth(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def report(result: Result) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(result.stdout)
    jsonschema.validate(data, SCHEMA, format_checker=jsonschema.FormatChecker())
    return data


def sshd(tmp_path: Path) -> str:
    write(tmp_path / "ssh", {"sshd_config": HARDENED_SSHD}, mode=0o644)
    return str(tmp_path / "ssh" / "sshd_config")


def test_hardened_installation_grades_a_plus_and_exits_0(tmp_path: Path) -> None:
    path = hardened_dir(tmp_path)
    common = ["-c", str(path), "check", "--offline", "--sshd-config", sshd(tmp_path)]
    text = hearth(*common, "--fail-on", "warn")
    assert text.exit_code == 0, text.output
    assert "Grade A+" in text.stdout
    data = report(hearth(*common, "--json", "--fail-on", "warn"))
    assert data["grade"] == "A+"
    assert {f["severity"] for f in data["findings"]} <= {"info"}  # the real host's notes at most
    assert data["source"] == "cli"


def test_demo_configuration_says_what_is_missing_and_what_to_run(tmp_path: Path) -> None:
    path = tmp_path / "config"
    assert hearth("-c", str(path), "init-demo").exit_code == 0
    result = hearth("-c", str(path), "check", "--offline", "--json", "--fail-on", "warn")
    assert result.exit_code == 1  # MFA is not required yet: a warning
    findings = {f["id"]: f for f in report(result)["findings"]}
    assert "cert self-signed --host" in findings["tls.none_lan"]["fix"]
    assert "mfa_required: admins" in findings["accounts.mfa_not_required"]["fix"]
    assert "/onboarding" in findings["accounts.no_users"]["fix"]
    assert f"hearth -c {path} user add NAME" in findings["accounts.no_users"]["fix"]
    assert not (path / "hearth.db").exists()  # never created by a check
    text = hearth("-c", str(path), "check", "--offline").stdout
    lines = [line for line in text.splitlines() if line[:4] in ("FAIL", "WARN", "INFO")]
    assert len(lines) == len(findings)
    for line in lines:
        assert " Fix: " in line, line
        assert " See docs/check.md#" in line, line


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-c", "{tmp}/nowhere", "check"], "does not exist"),
        (["-c", "{tmp}", "check", "--fail-on", "never"], "'never' is not one of"),
        (["-c", "{tmp}", "check", "--sshd-config", "{tmp}/no_sshd_config"], "does not exist"),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    result = hearth(*(arg.format(tmp=tmp_path) for arg in args))
    assert result.exit_code == 2, result.output
    assert message in result.stderr


def test_fail_on(tmp_path: Path) -> None:
    path = config_dir(tmp_path, "http:\n  ip_ban_enabled: false\nauth:\n  mfa_required: all\n")
    args = ["-c", str(path), "check", "--offline", "--sshd-config", sshd(tmp_path), "--json"]
    data = report(hearth(*args))
    assert "exposure.bans_disabled" in {f["id"] for f in data["findings"]}
    fails = [f for f in data["findings"] if f["severity"] == "fail"]
    assert hearth(*args).exit_code == (1 if fails else 0)
    assert hearth(*args, "--fail-on", "warn").exit_code == 1


def test_never_prints_a_secret(tmp_path: Path) -> None:
    secrets = {"used": "Sup3r-Secret-Value-1", "unused": "Another-Secret-Val-2"}
    config = (
        "homeassistant:\n  name: !secret used\n"
        "mqtt:\n  password: Literal-Password-3\n  url: mqtt://u:Url-Password-4@b.lan\n"
        "  token: Zk3qT9vX2mWp8RbL5nYc7HdJ4sGa\n"
    )
    path = config_dir(
        tmp_path, config, **{"secrets.yaml": "".join(f"{k}: {v}\n" for k, v in secrets.items())}
    )
    auth = open_auth(path)
    asyncio.run(auth.create_user("owner", PASSWORD, is_owner=True))
    auth.close()
    for args in ([], ["--json"]):
        result = hearth("-c", str(path), "check", "--offline", *args)
        for secret in (
            *secrets.values(),
            "Literal-Password-3",
            "Url-Password-4",
            PASSWORD,
            "Zk3qT9vX2mWp8RbL5nYc7HdJ4sGa",
        ):
            assert secret not in result.output
    ids = {
        f["id"] for f in report(hearth("-c", str(path), "check", "--offline", "--json"))["findings"]
    }
    assert {"secrets.literal", "secrets.url_password", "secrets.unused", "config.invalid"} <= ids


def test_reads_the_database_without_changing_a_byte(tmp_path: Path) -> None:
    path = hardened_dir(tmp_path)
    before = {p.name: p.read_bytes() for p in path.iterdir() if p.is_file()}
    assert hearth("-c", str(path), "check", "--offline").exit_code in (0, 1)
    assert {p.name: p.read_bytes() for p in path.iterdir() if p.is_file()} == before
