"""Held directories and files stay reachable after their path no longer leads to them."""

from __future__ import annotations

import os
from pathlib import Path

from hearth.privileges.held import hold_directory, hold_file


def test_a_held_directory_is_reached_after_its_path_changed(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    held = hold_directory(config)
    config.rename(tmp_path / "moved")  # as a closed parent would, the old path leads nowhere
    (held / "acme").mkdir()
    (held / "acme" / "certificate.pem").write_bytes(b"pem")
    assert (tmp_path / "moved" / "acme" / "certificate.pem").read_bytes() == b"pem"
    os.replace(held / "acme" / "certificate.pem", held / "acme" / "renamed.pem")  # atomic writes
    assert (tmp_path / "moved" / "acme" / "renamed.pem").exists()
    os.close(int(held.name))  # the hub keeps it for its lifetime; a test does not


def test_a_held_file_is_read_after_its_path_changed(tmp_path: Path) -> None:
    bundle = tmp_path / "venv" / "cacert.pem"
    bundle.parent.mkdir()
    bundle.write_bytes(b"-----BEGIN CERTIFICATE-----\n")
    held = hold_file(bundle)
    bundle.parent.rename(tmp_path / "elsewhere")
    assert held.read_bytes() == b"-----BEGIN CERTIFICATE-----\n"
    assert held.read_bytes() == held.read_bytes()  # opened anew each time, from the start
    os.close(int(held.name))
