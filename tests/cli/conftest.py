"""Fixtures for CLI tests: a config dir and a runner that keeps stdout and stderr apart."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import click
import pytest
from click.testing import CliRunner, Result

PASSWORD = "correct horse battery staple"


class Invoke(Protocol):
    def __call__(
        self, group: click.Group, args: Sequence[str], stdin: str | None = None
    ) -> Result: ...


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    path = tmp_path / "config"
    path.mkdir()
    return path


@pytest.fixture
def run(config_dir: Path) -> Invoke:
    """Invoke a command group with `-c <config_dir>` appended."""
    runner = CliRunner()

    def invoke(group: click.Group, args: Sequence[str], stdin: str | None = None) -> Result:
        return runner.invoke(group, [*args, "-c", str(config_dir)], input=stdin)

    return invoke
