"""Options and helpers shared by every CLI command."""

from __future__ import annotations

import importlib
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_CONFIG_DIR = Path("config")
# No existence or type checks by click: its usage errors take three lines and exit 2, while a
# configuration directory that cannot be used is a configuration error (one line, exit 1).
CONFIG_PATH = click.Path(readable=False, path_type=Path)


def check_config_path(path: Path) -> None:
    """Refuse, in one line, a configuration path that is a file or that this user cannot read.

    A missing directory is left to the command: `init-demo` creates it, the others explain.
    """
    from hearth.config.paths import show

    shown = show(str(path), 200)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return
    except OSError as err:
        raise click.ClickException(
            f"Configuration directory '{shown}' cannot be reached "
            f"({os.strerror(err.errno).lower() if err.errno else err}); run hearth as the user "
            "that owns it."
        ) from None
    if not stat.S_ISDIR(info.st_mode):
        raise click.ClickException(f"Configuration directory '{shown}' is not a directory.")
    if not os.access(path, os.R_OK | os.X_OK):
        raise click.ClickException(
            f"Configuration directory '{shown}' cannot be read (permission denied); run hearth "
            "as the user that owns it."
        )


def warn_about_files(path: Path) -> None:
    """Print (not refuse) what `hearth run` would refuse about who may write the files."""
    from hearth.config.permissions import check_permissions, refusal

    # uid=None: the CLI may run as root or as the hub's user, so owners are not judged here.
    error = refusal(check_permissions(path, uid=None))
    if error is not None:
        click.echo(f"Warning: {error}", err=True)


def _config_callback(*, warn: bool) -> Callable[[click.Context, click.Parameter, Any], Path]:
    def remember(ctx: click.Context, _param: click.Parameter, value: Path | None) -> Path:
        """Resolve -c/--config: the command's own option, else the group's, else ./config."""
        if value is None:
            parent = ctx.find_root().params.get("config_dir")
            value = parent if isinstance(parent, Path) else DEFAULT_CONFIG_DIR
        check_config_path(value)
        if warn:
            warn_about_files(value)
        return value

    return remember


def _config_option(*, warn: bool) -> Callable[[F], F]:
    def decorate(func: F) -> F:
        return click.option(
            "-c",
            "--config",
            "config_dir",
            type=CONFIG_PATH,
            default=None,
            callback=_config_callback(warn=warn),
            help="Configuration directory (default: ./config).",
        )(func)

    return decorate


# `-c/--config DIR` for a command, which receives `config_dir: Path`. Commands other than `run`
# warn about files others may write; `run` refuses them (hearth.bootstrap).
config_option = _config_option(warn=True)
run_config_option = _config_option(warn=False)


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
