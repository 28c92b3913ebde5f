"""`hearth user`: create, list and change accounts."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import click

from hearth import const
from hearth.auth.manager import AuthManager
from hearth.auth.models import User
from hearth.auth.policy import PasswordPolicy
from hearth.auth.store import normalize_username
from hearth.auth.tokens.limits import token_limits
from hearth.cli.common import LazyGroup, config_option
from hearth.exceptions import HearthError


@contextmanager
def open_auth(config_dir: Path) -> Iterator[AuthManager]:
    """Open the auth store of a config dir; every failure becomes a one-line ClickException."""
    if not config_dir.exists():
        raise click.ClickException(
            f"Configuration directory '{config_dir}' does not exist; "
            "run `hearth init-demo` or create it."
        )
    if not config_dir.is_dir():
        raise click.ClickException(f"Configuration directory '{config_dir}' is not a directory.")
    try:
        auth = AuthManager.open(config_dir)
    except HearthError as err:
        raise click.ClickException(err.message) from None
    try:
        yield auth
    except HearthError as err:
        raise click.ClickException(err.message) from None
    except sqlite3.Error as err:
        raise click.ClickException(f"Database error: {err}") from None
    finally:
        auth.close()


def apply_policy(auth: AuthManager, config_dir: Path) -> None:
    """Use `auth: password_min_length` and the hub name, when configuration.yaml exists.

    Only commands that set passwords read the configuration (so an invalid one stops them);
    the others need only the directory.
    """
    if not (config_dir / const.CONFIG_FILE).exists():
        return
    from hearth.config import load_config

    config = load_config(config_dir)
    auth.policy = PasswordPolicy(
        min_length=config.auth.password_min_length, hub_name=config.homeassistant.name
    )


def apply_limits(auth: AuthManager, config_dir: Path) -> None:
    """Use the token caps of `auth:` when configuration.yaml can be read; else the defaults."""
    if not (config_dir / const.CONFIG_FILE).exists():
        return
    from hearth.config import load_config

    try:
        config = load_config(config_dir)
    except HearthError as err:
        click.echo(f"Note: the default token limits apply; {err.message}", err=True)
        return
    auth.limits = token_limits(config.auth)


def when(moment: datetime | None) -> str:
    """A timestamp for tables: UTC, to the minute; '-' for none."""
    return "-" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def echo_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Print left-aligned columns separated by two spaces."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    for line in (headers, *rows):
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))


def _read_password(from_stdin: bool) -> str:
    """One line from stdin, or a hidden prompt asked twice."""
    if not from_stdin:
        password: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        return password
    # Bounded read: a policy-breaking length is still detected, memory is not at risk.
    line = sys.stdin.readline(const.PASSWORD_MAX_LENGTH + 2).removesuffix("\n").removesuffix("\r")
    if not line:
        raise click.ClickException("No password on standard input.")
    return line


@click.group(cls=LazyGroup, lazy={"mfa-reset": "hearth.cli.mfa:mfa_reset"})
def user() -> None:
    """Manage user accounts."""


@user.command("add")
@click.argument("username")
@click.option("--admin", is_flag=True, help="Make the user an administrator.")
@click.option("--name", help="Display name (default: the username).")
@click.option(
    "--local-only", is_flag=True, help="Allow this user to log in only from the local network."
)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input instead of prompting.",
)
@config_option
def add_user(
    config_dir: Path,
    username: str,
    admin: bool,
    name: str | None,
    local_only: bool,
    password_stdin: bool,
) -> None:
    """Create a user. The first user on an empty hub becomes its owner and an administrator."""
    with open_auth(config_dir) as auth:
        apply_policy(auth, config_dir)
        # Check the username before asking for a password that would be thrown away.
        if auth.get_user_by_username(normalize_username(username)) is not None:
            raise click.ClickException(f"A user named '{normalize_username(username)}' exists.")
        password = _read_password(password_stdin)
        # Whether this is the first user (the owner) is decided inside the write transaction:
        # two `user add` racing on an empty hub make exactly one owner and two users.
        created = asyncio.run(
            auth.create_user(
                username,
                password,
                name=name,
                is_admin=admin,
                local_only=local_only,
                owner_if_first=True,
            )
        )
    roles = ", ".join(
        role for role, flag in (("owner", created.is_owner), ("admin", created.is_admin)) if flag
    )
    click.echo(f"Created user '{created.username}'" + (f" ({roles})." if roles else "."))


@user.command("list")
@config_option
def list_users(config_dir: Path) -> None:
    """List user accounts."""
    with open_auth(config_dir) as auth:
        users = auth.list_users()
    if not users:
        click.echo("No users yet; create one with `hearth user add`.", err=True)
        return
    rows = [
        (
            u.username,
            u.name,
            "yes" if u.is_owner else "no",
            "yes" if u.is_admin else "no",
            "yes" if u.is_active else "no",
            "yes" if u.local_only else "no",
            when(u.created_at),
        )
        for u in users
    ]
    echo_table(("USERNAME", "NAME", "OWNER", "ADMIN", "ACTIVE", "LOCAL ONLY", "CREATED"), rows)


def _find(auth: AuthManager, username: str) -> User:
    found = auth.get_user_by_username(username)
    if found is None:
        raise click.ClickException("No such user; see `hearth user list`.")
    return found


@user.command("passwd")
@click.argument("username")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the new password from the first line of standard input instead of prompting.",
)
@config_option
def change_password(config_dir: Path, username: str, password_stdin: bool) -> None:
    """Set a user's password. All of the user's sessions and tokens are revoked."""
    with open_auth(config_dir) as auth:
        apply_policy(auth, config_dir)
        target = _find(auth, username)
        password = _read_password(password_stdin)
        revoked = asyncio.run(auth.change_password(target, password))
    click.echo(f"Changed the password of '{target.username}'; revoked {revoked} token(s).")


@user.command("set")
@click.argument("username")
@click.option("--name", help="New display name.")
@click.option("--admin/--no-admin", default=None, help="Grant or remove administrator rights.")
@click.option("--active/--inactive", default=None, help="Activate or deactivate the account.")
@click.option(
    "--local-only/--not-local-only",
    default=None,
    help="Allow logins only from the local network, or from anywhere remote access reaches.",
)
@config_option
def set_user(
    config_dir: Path,
    username: str,
    name: str | None,
    admin: bool | None,
    active: bool | None,
    local_only: bool | None,
) -> None:
    """Change a user's name, role or flags. Deactivating ends the user's sessions at once."""
    if name is None and admin is None and active is None and local_only is None:
        raise click.UsageError("Nothing to change: give --name, --admin, --active or --local-only.")
    with open_auth(config_dir) as auth:
        target = _find(auth, username)
        changed = asyncio.run(
            auth.update_user(
                target.id, name=name, is_admin=admin, is_active=active, local_only=local_only
            )
        )
    flags = [
        "admin" if changed.is_admin else "not admin",
        "active" if changed.is_active else "inactive",
        "local only" if changed.local_only else "not local only",
    ]
    click.echo(f"Updated '{changed.username}': {', '.join(flags)}.")
