"""Authorized keys files: which lines are keys, which are refused and why; who may own them."""

from __future__ import annotations

import os
from pathlib import Path

import asyncssh
import pytest

from hearth.debug_ssh.authorized import AuthorizedKeys, parse_keys
from hearth.debug_ssh.files import keys_dir, problem
from hearth.exceptions import ConfigError


def public(kind: str, bits: int | None = None) -> str:
    key = (
        asyncssh.generate_private_key(kind, key_size=bits)
        if bits
        else asyncssh.generate_private_key(kind)
    )
    return key.export_public_key("openssh").decode().strip()


ED25519 = public("ssh-ed25519")
ECDSA = public("ecdsa-sha2-nistp256")


@pytest.mark.parametrize(
    ("text", "accepted", "refused"),
    [
        (ED25519, 1, None),
        (f"# a comment\n\n{ED25519}\n{ECDSA}\n", 2, None),
        ("ssh-dss AAAAB3NzaC1kc3MAAACBAP8=", 0, "DSA keys are refused"),
        (f'from="10.0.0.0/8" {ED25519}', 0, "options before the key"),
        (f'command="/bin/sh" {ED25519}', 0, "options before the key"),
        ("ssh-ed25519 not-base64 comment", 0, "not a public key"),
        ("\x1b[31m rm -rf /", 0, "not a public key"),
    ],
    # Fixed ids: the keys are generated per run, and parallel workers must agree on the names.
    ids=[
        "ed25519",
        "comment-and-two-keys",
        "dsa",
        "from-option",
        "command-option",
        "bad-base64",
        "escape",
    ],
)
def test_lines(text: str, accepted: int, refused: str | None) -> None:
    lines = list(parse_keys(text))
    assert sum(1 for line in lines if line.key is not None) == accepted
    reasons = [line.refused for line in lines if line.refused is not None]
    if refused is None:
        assert reasons == []
    else:
        assert len(reasons) == 1
        assert refused in reasons[0]


def test_rsa_under_3072_bits_is_refused() -> None:
    (short,) = parse_keys(public("ssh-rsa", 2048))
    assert short.key is None
    assert short.refused is not None
    assert "RSA key of 2048 bits is refused (at least 3072)" in short.refused
    (long_enough,) = parse_keys(public("ssh-rsa", 3072))
    assert long_enough.key is not None


@pytest.mark.parametrize(
    ("mode", "directory", "expected"),
    [
        (0o600, False, None),
        (0o400, False, None),
        (0o640, False, "has mode 0640: it must be 0600"),
        (0o604, False, "has mode 0604"),
        (0o700, True, None),
        (0o750, True, "has mode 0750: it must be 0700"),
    ],
)
def test_modes(tmp_path: Path, mode: int, directory: bool, expected: str | None) -> None:
    path = tmp_path / "entry"
    if directory:
        path.mkdir()
    else:
        path.write_text(ED25519)
    path.chmod(mode)
    reason = problem(os.lstat(path), os.geteuid(), directory=directory)
    if expected is None:
        assert reason is None
    else:
        assert reason is not None
        assert expected in reason


def test_another_owner_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "alice"
    path.write_text(ED25519)
    path.chmod(0o600)
    info = os.lstat(path)
    reason = problem(info, info.st_uid + 4242, directory=False)
    if info.st_uid == 0:
        assert reason is None  # root may own them: the hub gives them to its user at the switch
    else:
        assert reason is not None
        assert "owned by" in reason


def test_a_link_is_not_a_keys_file(tmp_path: Path) -> None:
    directory = keys_dir(tmp_path)
    directory.mkdir(parents=True, mode=0o700)
    target = tmp_path / "elsewhere"
    target.write_text(ED25519)
    target.chmod(0o600)
    (directory / "admin").symlink_to(target)
    with pytest.raises(ConfigError, match="is not a regular file"):
        AuthorizedKeys.open(tmp_path, os.geteuid())


def test_keys_are_read_through_the_directory_held_open(tmp_path: Path) -> None:
    directory = keys_dir(tmp_path)
    directory.mkdir(parents=True, mode=0o700)
    keys = AuthorizedKeys.open(tmp_path, os.geteuid())
    try:
        assert keys.keys_of("admin") == []
        path = directory / "admin"
        path.write_text(ED25519 + "\n")
        path.chmod(0o600)
        assert len(keys.keys_of("admin")) == 1  # added while running: read at each login
        assert keys.keys_of("../admin") == []
        assert keys.keys_of("..") == []
        path.chmod(0o644)
        assert keys.keys_of("admin") == []  # no longer private: ignored
    finally:
        keys.close()
