"""Docs are part of the product: every CLI command and config key must be documented."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from pydantic import BaseModel

from hearth.cli import main
from hearth.config.schema import Config

DOCS = Path(__file__).resolve().parent.parent / "docs"
README = Path(__file__).resolve().parent.parent / "README.md"


def command_paths(group: click.Group, prefix: str = "hearth") -> Iterator[str]:
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, name
        path = f"{prefix} {name}"
        if isinstance(command, click.Group):
            yield from command_paths(command, path)
        else:
            yield path


def config_keys(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        yield key
        for candidate in (field.annotation, *getattr(field.annotation, "__args__", ())):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                yield from config_keys(candidate, f"{key}.")


@pytest.mark.parametrize("command", list(command_paths(main)))
def test_every_cli_command_is_documented(command: str) -> None:
    assert f"`{command}" in (DOCS / "cli.md").read_text(), f"docs/cli.md lacks `{command}`"


@pytest.mark.parametrize("key", list(config_keys(Config)))
def test_every_config_key_is_documented(key: str) -> None:
    leaf = key.rsplit(".", 1)[-1]
    text = (DOCS / "configuration.md").read_text()
    assert f"`{leaf}`" in text, f"docs/configuration.md lacks `{leaf}` ({key})"


def test_readme_shows_the_two_commands() -> None:
    text = README.read_text()
    assert "make run" in text
    assert "make test" in text
