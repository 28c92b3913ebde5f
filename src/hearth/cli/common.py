"""Options and helpers shared by every CLI command."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_CONFIG_DIR = Path("config")


def _remember_config(ctx: click.Context, _param: click.Parameter, value: Path | None) -> Path:
    """Resolve -c/--config: the command's own option, else the group's, else ./config."""
    if value is not None:
        return value
    parent = ctx.find_root().params.get("config_dir")
    return parent if isinstance(parent, Path) else DEFAULT_CONFIG_DIR


def config_option(func: F) -> F:
    """Add `-c/--config DIR` to a command; the command receives `config_dir: Path`."""
    return click.option(
        "-c",
        "--config",
        "config_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        callback=_remember_config,
        help="Configuration directory (default: ./config).",
    )(func)


class LazyGroup(click.Group):
    """A group whose subcommands are imported when they are used, so that `hearth user add`
    does not load the web server, TLS or the configuration schema. `lazy` maps each command's
    name to `module:attribute`."""

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = self._lazy.pop(cmd_name, None)
        if target is not None:
            module, _, attribute = target.partition(":")
            command = getattr(importlib.import_module(module), attribute)
            assert isinstance(command, click.Command)  # noqa: S101 - a table in our own code
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)
