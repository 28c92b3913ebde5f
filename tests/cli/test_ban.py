"""`hearth ban list|add|remove`."""

from __future__ import annotations

import asyncio
from ipaddress import ip_address
from pathlib import Path

from hearth import const
from hearth.bans.manager import BanManager
from hearth.bans.policy import BanPolicy
from hearth.cli import main
from hearth.cli.ban import ban
from hearth.storage.audit import AuditLog
from hearth.storage.db import Database

from .conftest import Invoke


def stored(config_dir: Path) -> BanManager:
    return BanManager(Database.open(config_dir / const.DATABASE_FILE), BanPolicy())


def test_list_empty(run: Invoke) -> None:
    result = run(ban, ["list"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "No bans." in result.stderr


def test_add_list_remove(run: Invoke, config_dir: Path) -> None:
    added = run(ban, ["add", "198.51.100.7", "--duration", "12h", "--reason", "port scanner"])
    assert added.exit_code == 0, added.output
    assert added.stdout == "Banned 198.51.100.7 for 12h.\n"
    assert run(ban, ["add", "2001:db8:1:2::99"]).stdout == "Banned 2001:db8:1:2::/64 permanently.\n"

    listed = run(ban, ["list"])
    assert listed.exit_code == 0, listed.output
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["ADDRESS", "BANNED", "EXPIRES", "OFFENCES", "SOURCE", "REASON"]
    assert lines[1].startswith("198.51.100.7 ")
    assert "port scanner" in lines[1]
    assert " cli " in lines[1]
    assert lines[2].startswith("2001:db8:1:2::/64 ")
    assert "never" in lines[2]

    bans = stored(config_dir)
    try:
        assert bans.is_banned(ip_address("198.51.100.7"))
        assert bans.is_banned(ip_address("2001:db8:1:2::1"))
        events = [entry.event for entry in asyncio.run(AuditLog(bans.store.db).query())]
    finally:
        bans.store.db.close()
    assert events.count("ban_added") == 2

    removed = run(ban, ["remove", "2001:db8:1:2::1"])
    assert removed.exit_code == 0, removed.output
    assert removed.stdout == "Lifted the ban of 2001:db8:1:2::/64.\n"
    again = run(ban, ["remove", "2001:db8:1:2::1"])
    assert again.exit_code == 1
    assert "not banned" in again.stderr


def test_bad_arguments(run: Invoke) -> None:
    for args in (["add", "192.0.2.0/24"], ["add", "nonsense"], ["remove", "nonsense"]):
        result = run(ban, args)
        assert result.exit_code == 1, args
        assert result.stderr.startswith("Error: Expected an IP address"), result.stderr
    for duration in ("soon", "0", "-5m"):
        result = run(ban, ["add", "192.0.2.1", "--duration", duration])
        assert result.exit_code == 2, duration
        assert "--duration" in result.stderr


def test_missing_config_dir(tmp_path: Path) -> None:
    from click.testing import CliRunner

    result = CliRunner().invoke(main, ["-c", str(tmp_path / "missing"), "ban", "list"])
    assert result.exit_code == 1
    assert "does not exist" in result.stderr


def test_imports_ha_bans(run: Invoke, config_dir: Path) -> None:
    (config_dir / "ip_bans.yaml").write_text("192.0.2.44:\n  banned_at: '2023-01-01T00:00:00'\n")
    listed = run(ban, ["list"])
    assert listed.exit_code == 0, listed.output
    assert "192.0.2.44" in listed.stdout
    assert " import " in listed.stdout


def test_uses_the_hub_settings(run: Invoke, config_dir: Path) -> None:
    """Local IPv6 clients are banned per address, as the hub counts them; the allow-list warns."""
    (config_dir / "configuration.yaml").write_text(
        "http:\n  local_networks: [2001:db8:5::/48]\n  ip_ban_allowlist: [198.51.100.0/28]\n"
    )
    assert run(ban, ["add", "2001:db8:5::9"]).stdout == "Banned 2001:db8:5::9 permanently.\n"
    assert run(ban, ["add", "fd00::9"]).stdout == "Banned fd00::9 permanently.\n"
    assert run(ban, ["add", "2001:db8:6::9"]).stdout == "Banned 2001:db8:6::/64 permanently.\n"
    allowed = run(ban, ["add", "198.51.100.7"])
    assert allowed.exit_code == 0
    assert "ip_ban_allowlist" in allowed.stderr
    # Lifting by address finds the ban whichever way it was stored.
    assert run(ban, ["remove", "2001:db8:6::1"]).exit_code == 0
    assert run(ban, ["remove", "2001:db8:5::9"]).exit_code == 0


def test_broken_configuration_falls_back_to_defaults(run: Invoke, config_dir: Path) -> None:
    (config_dir / "configuration.yaml").write_text("http:\n  nonsense: 1\n")
    result = run(ban, ["add", "192.0.2.1"])
    assert result.exit_code == 0
    assert result.stderr.startswith("Note: the default ban settings apply; configuration.yaml")
