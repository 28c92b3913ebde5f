"""Options and helpers shared by every CLI command."""

from __future__ import annotations

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
