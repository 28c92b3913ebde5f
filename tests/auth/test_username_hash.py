"""Tried usernames in logs: users readable, anything else a keyed hash, the key per install."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from hearth.auth.username_hash import KEY_FILE, UsernameMask, keyed_hash, load_or_create_key

USERS = {"alice", "bob"}


def mask(tmp_path: Path) -> UsernameMask:
    return UsernameMask.open(tmp_path, lambda name: name.strip().casefold() in USERS)


@pytest.mark.parametrize(
    ("tried", "readable"),
    [
        ("alice", True),
        ("Alice ", True),
        ("", True),  # nothing to hide (a token failure has no username)
        ("correct horse battery staple", False),  # a password in the wrong field
        ("mallory", False),
        ("x' from 203.0.113.9: invalid_password", False),
    ],
)
def test_only_existing_usernames_are_readable(tmp_path: Path, tried: str, readable: bool) -> None:
    shown = mask(tmp_path).shown(tried)
    if readable:
        assert shown == tried
    else:
        assert re.fullmatch(r"#[0-9a-f]{12}", shown), shown
        assert tried.strip() not in shown


def test_the_same_name_gives_the_same_hash(tmp_path: Path) -> None:
    first = mask(tmp_path)
    again = mask(tmp_path)  # the key is read back, not made anew
    assert first.shown("Secret Pass") == again.shown("  secret pass") == first.shown("SECRET PASS")
    assert first.shown("secret pass") != first.shown("secret pas")


def test_the_hash_is_keyed(tmp_path: Path) -> None:
    """Without the key, trying candidate passwords against the hash gets nowhere."""
    one = keyed_hash(b"k" * 32, "hunter2")
    other = keyed_hash(b"j" * 32, "hunter2")
    assert one != other


def test_key_file_is_private_and_replaced_when_damaged(tmp_path: Path) -> None:
    path = tmp_path / KEY_FILE
    key = load_or_create_key(path)
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key(path) == key
    path.write_text("not hex\n")
    replaced = load_or_create_key(path)
    assert len(replaced) == 32
    assert replaced != key
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind
