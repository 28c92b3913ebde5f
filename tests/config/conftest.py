"""Fixtures for configuration tests: a config dir inside a temporary directory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

WriteFiles = Callable[[dict[str, str | bytes]], None]


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """An empty config dir; tmp_path/outside.yaml lies just outside it."""
    (tmp_path / "outside.yaml").write_text("server_port: 1\n", encoding="utf-8")
    directory = tmp_path / "config"
    directory.mkdir()
    return directory


@pytest.fixture
def write_files(config_dir: Path) -> WriteFiles:
    """Write files (relative name -> text or bytes) into the config dir."""

    def write(files: dict[str, str | bytes]) -> None:
        for name, content in files.items():
            path = config_dir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            data = content if isinstance(content, bytes) else content.encode("utf-8")
            path.write_bytes(data)

    return write
