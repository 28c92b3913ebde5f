"""Importing Home Assistant's ip_bans.yaml: once, permanent, invalid entries skipped."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path

import pytest

from hearth import const
from hearth.bans.ha_import import IP_BANS_FILE, parse_ip_bans
from hearth.bans.manager import BanManager
from hearth.bans.policy import BanPolicy
from hearth.storage.audit import AuditLog
from hearth.storage.db import Database

NOW = 1_700_000_000.0

# As Home Assistant writes it (quoted ISO timestamps), plus hand edits.
HA_FILE = """\
192.0.2.1:
  banned_at: '2023-05-01T10:00:00.123456+00:00'
192.0.2.2:
  banned_at: 2023-05-02T10:00:00+02:00
192.0.2.3: {}
192.0.2.4:
2001:db8:1:2::99:
  banned_at: '2023-05-03T10:00:00+00:00'
2001:db8:1:2::100:
  banned_at: '2023-05-04T10:00:00+00:00'
not-an-ip:
  banned_at: '2023-05-01T10:00:00+00:00'
192.0.2.0/24:
  banned_at: '2023-05-01T10:00:00+00:00'
192.0.2.5:
  banned_at: yesterday
192.0.2.6: [1, 2]
"""


def test_parse_home_assistant_file(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        records, skipped = parse_ip_bans(HA_FILE, NOW, BanPolicy())
    by_client = {record.client: record for record in records}
    assert set(by_client) == {
        "192.0.2.1",
        "192.0.2.2",
        "192.0.2.3",
        "192.0.2.4",
        "2001:db8:1:2::/64",
    }
    assert skipped == 4
    assert (
        by_client["192.0.2.1"].banned_at == datetime(2023, 5, 1, 10, 0, 0, 123456, UTC).timestamp()
    )
    assert by_client["192.0.2.2"].banned_at == datetime(2023, 5, 2, 8, 0, tzinfo=UTC).timestamp()
    assert by_client["192.0.2.3"].banned_at == NOW
    assert by_client["192.0.2.4"].banned_at == NOW
    # The first entry of a /64 wins.
    assert (
        by_client["2001:db8:1:2::/64"].banned_at == datetime(2023, 5, 3, 10, tzinfo=UTC).timestamp()
    )
    assert all(record.expires_at is None and record.source == "import" for record in records)
    assert "not-an-ip" in caplog.text


def test_self_referencing_alias_is_one_invalid_entry() -> None:
    assert parse_ip_bans("a: &a [*a]\n", NOW, BanPolicy()) == ([], 1)


@pytest.mark.parametrize("text", ["", "# nothing\n", "~\n"])
def test_empty_file(text: str) -> None:
    assert parse_ip_bans(text, NOW, BanPolicy()) == ([], 0)


@pytest.mark.parametrize("text", ["- 192.0.2.1\n", "just text\n", "42\n"])
def test_not_a_mapping(text: str) -> None:
    with pytest.raises(ValueError, match="mapping"):
        parse_ip_bans(text, NOW, BanPolicy())


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    path = tmp_path / "config"
    path.mkdir()
    return path


@pytest.fixture
def db(config_dir: Path) -> Iterator[Database]:
    database = Database.open(config_dir / const.DATABASE_FILE)
    yield database
    database.close()


def _manager(db: Database) -> BanManager:
    return BanManager(db, BanPolicy(), clock=lambda: NOW)


async def test_imported_once_and_file_kept(config_dir: Path, db: Database) -> None:
    (config_dir / IP_BANS_FILE).write_text(HA_FILE)
    bans = _manager(db)
    assert await bans.import_home_assistant(config_dir) == 5
    assert bans.is_banned(IPv4Address("192.0.2.1"))
    assert bans.is_banned(IPv6Address("2001:db8:1:2::1"))
    assert (config_dir / IP_BANS_FILE).read_text() == HA_FILE
    # Lifting an imported ban sticks: the file is not read again.
    assert await bans.unban("192.0.2.1") is not None
    (config_dir / IP_BANS_FILE).write_text(HA_FILE + "198.51.100.1:\n")
    assert await bans.import_home_assistant(config_dir) is None
    assert await _manager(db).import_home_assistant(config_dir) is None
    assert not bans.is_banned(IPv4Address("192.0.2.1"))
    assert not bans.is_banned(IPv4Address("198.51.100.1"))
    entries = await AuditLog(db).query(event="ban_added")
    assert [entry.details for entry in entries] == [{"source": "import", "count": 5}]


async def test_existing_bans_are_kept(config_dir: Path, db: Database) -> None:
    bans = _manager(db)
    mine = await bans.ban("192.0.2.1", seconds=60, reason="mine")
    (config_dir / IP_BANS_FILE).write_text(HA_FILE)
    assert await bans.import_home_assistant(config_dir) == 4
    assert bans.store.get("192.0.2.1") == mine


async def test_no_file_is_not_an_import(config_dir: Path, db: Database) -> None:
    bans = _manager(db)
    assert await bans.import_home_assistant(config_dir) is None
    (config_dir / IP_BANS_FILE).write_text("192.0.2.9:\n")
    assert await bans.import_home_assistant(config_dir) == 1


@pytest.mark.parametrize(
    ("content", "logged"),
    [
        ("192.0.2.1: [unclosed\n", "Cannot import ip_bans.yaml"),
        ("- a list\n", "expected a mapping"),
        ("192.0.2.1: !secret x\n", "Cannot import ip_bans.yaml"),
        ("#" * (1024 * 1024 + 1), "larger than 1 MiB"),
    ],
)
async def test_unreadable_file_is_reported_and_retried(
    config_dir: Path, db: Database, content: str, logged: str, caplog: pytest.LogCaptureFixture
) -> None:
    (config_dir / IP_BANS_FILE).write_text(content)
    bans = _manager(db)
    with caplog.at_level(logging.WARNING):
        assert await bans.import_home_assistant(config_dir) is None
    assert logged in caplog.text
    assert "Traceback" not in caplog.text
    # Fixed later: imported at the next start.
    (config_dir / IP_BANS_FILE).write_text("192.0.2.9:\n")
    assert await bans.import_home_assistant(config_dir) == 1


async def test_symlink_is_not_followed(config_dir: Path, db: Database, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("192.0.2.1:\n")
    (config_dir / IP_BANS_FILE).symlink_to(outside)
    assert await _manager(db).import_home_assistant(config_dir) is None


async def test_fifo_does_not_hang(config_dir: Path, db: Database) -> None:
    import os

    os.mkfifo(config_dir / IP_BANS_FILE)
    assert await _manager(db).import_home_assistant(config_dir) is None
