"""`hearth token`: long-lived access tokens."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from hearth import const
from hearth.cli.common import config_option
from hearth.cli.users import apply_limits, echo_table, open_auth, when


@click.group()
def token() -> None:
    """Manage long-lived access tokens and sessions."""


@token.command("create")
@click.argument("username")
@click.option("--name", required=True, help="A name for the token, unique per user.")
@click.option(
    "--days",
    type=click.IntRange(1, const.LONG_LIVED_TOKEN_MAX_DAYS),
    default=const.LONG_LIVED_TOKEN_DEFAULT_DAYS,
    show_default=True,
    help="Days until the token expires.",
)
@config_option
def create_token(config_dir: Path, username: str, name: str, days: int) -> None:
    """Create a long-lived access token. Only the token is printed on stdout; keep it secret."""
    with open_auth(config_dir) as auth:
        owner = auth.get_user_by_username(username)
        if owner is None:
            raise click.ClickException("No such user; see `hearth user list`.")
        apply_limits(auth, config_dir)
        record, access_token = asyncio.run(auth.create_long_lived_token(owner, name, days))
    click.echo(
        f"Created long-lived token '{record.client_name}' (id {record.id}) for "
        f"'{owner.username}', valid until {when(record.expires_at)}.",
        err=True,
    )
    click.echo(access_token)


@token.command("list")
@click.argument("username", required=False)
@config_option
def list_tokens(config_dir: Path, username: str | None) -> None:
    """List refresh and long-lived tokens (never their secrets), of everyone or one user."""
    with open_auth(config_dir) as auth:
        names = {u.id: u.username for u in auth.list_users()}
        user_id = None
        if username is not None:
            owner = auth.get_user_by_username(username)
            if owner is None:
                raise click.ClickException("No such user; see `hearth user list`.")
            user_id = owner.id
        records = auth.list_refresh_tokens(user_id)
    if not records:
        click.echo("No tokens.", err=True)
        return
    rows = [
        (
            r.id,
            names.get(r.user_id, "?"),
            r.client_name or r.client_id or "-",
            r.token_type.value,
            when(r.created_at),
            when(r.expires_at),
            when(r.last_used_at),
        )
        for r in records
    ]
    echo_table(("ID", "USER", "NAME", "TYPE", "CREATED", "EXPIRES", "LAST USED"), rows)


@token.command("revoke")
@click.argument("token_id")
@config_option
def revoke_token(config_dir: Path, token_id: str) -> None:
    """Revoke a token by id; a running hub stops accepting it within a second."""
    with open_auth(config_dir) as auth:
        if not asyncio.run(auth.remove_refresh_token(token_id)):
            # The argument is not echoed: it might be a pasted secret rather than an id.
            raise click.ClickException("No token with that id; see `hearth token list`.")
    click.echo(f"Revoked token {token_id}.")
