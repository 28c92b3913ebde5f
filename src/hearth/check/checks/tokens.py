"""`tokens`: long-lived access tokens are used, expire within a year, and stay few."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

from hearth import const
from hearth.check.context import CheckContext
from hearth.check.model import Check, Finding, Rule, Severity

_STANDARD = "OWASP ASVS V3 (session management): credentials expire and unused ones are revoked"
_REVOKE = "Revoke it, `hearth -c {config_dir} token revoke {token_id}`"

UNUSED = Rule(
    "tokens.unused",
    Severity.WARN,
    "A long-lived token has not been used for a long time",
    _STANDARD,
    _REVOKE + ", if nothing needs it any more",
)
LONG_EXPIRY = Rule(
    "tokens.long_expiry",
    Severity.WARN,
    "A long-lived token is valid for more than a year",
    _STANDARD,
    _REVOKE + ", and create a new one valid for at most a year: "
    "`hearth -c {config_dir} token create {username} --name NAME --days 365`",
)
TOO_MANY = Rule(
    "tokens.too_many",
    Severity.WARN,
    "A user has many long-lived tokens",
    _STANDARD + "; each token is one more credential that can leak",
    "List them, `hearth -c {config_dir} token list {username}`, and revoke those no device "
    "uses any more",
)


def run(ctx: CheckContext) -> Iterator[Finding]:
    """Long-lived tokens from hearth.db (read-only); expired ones are ignored."""
    now = ctx.now
    alive = [
        token
        for token in ctx.accounts.long_lived_tokens
        if token.expires_at is None or token.expires_at > now
    ]
    unused_before = now - timedelta(days=const.CHECK_UNUSED_DAYS)
    latest_expiry = now + timedelta(days=const.CHECK_TOKEN_MAX_EXPIRY_DAYS)
    for token in alive:
        label = f"{token.username}'s token {token.name!r} ({token.id})"
        values = {"config_dir": ctx.shown_dir, "token_id": token.id, "username": token.username}
        last = token.last_used_at or token.created_at
        if last < unused_before:
            used = "used" if token.last_used_at is not None else "created and never used"
            yield UNUSED.found(f"{label} was last {used} {(now - last).days} days ago", **values)
        if token.expires_at is None:
            yield LONG_EXPIRY.found(f"{label} never expires", **values)
        elif token.expires_at > latest_expiry:
            days = (token.expires_at - now).days
            yield LONG_EXPIRY.found(f"{label} expires in {days} days", **values)
    per_user = Counter(token.username for token in alive)
    for username, count in sorted(per_user.items()):
        if count > const.CHECK_MAX_LONG_LIVED_TOKENS:
            yield TOO_MANY.found(
                f"{username} has {count} long-lived tokens (more than "
                f"{const.CHECK_MAX_LONG_LIVED_TOKENS})",
                config_dir=ctx.shown_dir,
                username=username,
            )


CHECK = Check("tokens", "Long-lived tokens", (UNUSED, LONG_EXPIRY, TOO_MANY), run)
