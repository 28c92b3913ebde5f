"""`accounts`: strong passwords, MFA for those who administer the hub, no forgotten admins."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from hearth import const
from hearth.auth.mfa import stored_policy
from hearth.check.accounts_db import Account
from hearth.check.context import CheckContext
from hearth.check.model import Check, Finding, NotChecked, Rule, Severity

_SEED_PASSWORD = 'Securing checklist: "Choose a strong password."'  # noqa: S105 - a quote
_MFA_STANDARD = "NIST SP 800-63B AAL2 and OWASP ASVS V2: administrators use a second factor"

NO_USERS = Rule(
    "accounts.no_users",
    Severity.INFO,
    "The hub has no owner yet",
    _SEED_PASSWORD,
    "Open /onboarding and enter the setup code the hub prints, or run "
    "`hearth -c {config_dir} user add NAME`",
)
ADMIN_WITHOUT_MFA = Rule(
    "accounts.admin_without_mfa",
    Severity.WARN,
    "An administrator has no second factor",
    _MFA_STANDARD,
    "Set `auth: mfa_required: admins` in configuration.yaml: {username} is then led through "
    "setting up an authenticator app at the next login (or does it now with the WebSocket "
    "command auth/setup_mfa)",
)
MFA_NOT_REQUIRED = Rule(
    "accounts.mfa_not_required",
    Severity.WARN,
    "MFA is not required",
    _MFA_STANDARD,
    "Set `auth: mfa_required: admins` (or `all`) in configuration.yaml",
)
OLD_PASSWORD = Rule(
    "accounts.password_policy",
    Severity.WARN,
    "A password was set under an older password policy",
    _SEED_PASSWORD + " NIST SP 800-63B §5.1.1: passwords are checked when they are set",
    "Set a new password: `hearth -c {config_dir} user passwd {username}`",
)
ADMIN_UNUSED = Rule(
    "accounts.admin_unused",
    Severity.WARN,
    "An administrator has not been used for a long time",
    "Least privilege (CIS Controls 5.3 and 6.2): disable dormant accounts and rights",
    "Take the rights away, `hearth -c {config_dir} user set {username} --no-admin`, or "
    "deactivate the account, `hearth -c {config_dir} user set {username} --inactive`",
)


def _mfa_findings(ctx: CheckContext, users: tuple[Account, ...]) -> Iterator[Finding]:
    # Set in the Security Center, it takes the configuration's place.
    policy = stored_policy.read_from(ctx.config_dir) or ctx.config.auth.mfa_required
    admins = [user for user in users if user.is_admin and user.is_active]
    enforced = policy in ("admins", "all") or (
        policy is None and any(user.has_mfa for user in admins)
    )
    if not enforced and policy != "remote":
        why = "set to none" if policy == "none" else "not set, and no administrator has MFA yet"
        yield MFA_NOT_REQUIRED.found(f"auth: mfa_required is {why}")
    for user in admins:
        if not user.has_mfa:
            role = "the owner" if user.is_owner else "the administrator"
            yield ADMIN_WITHOUT_MFA.found(
                f"{role} {user.username} has no second factor", username=user.username
            )


def run(ctx: CheckContext) -> Iterator[Finding]:
    """Users from hearth.db (read-only) against the configured MFA and password policies."""
    users = ctx.accounts.users
    if not users:
        yield NO_USERS.found("nobody has an account yet", config_dir=ctx.shown_dir)
    try:
        yield from _mfa_findings(ctx, users)
        min_length = ctx.config.auth.password_min_length
    except NotChecked:
        min_length = const.PASSWORD_MIN_LENGTH
    for user in users:
        if not (user.is_active and user.has_password):
            continue
        why = password_outdated(user, min_length)
        if why is not None:
            yield OLD_PASSWORD.found(
                f"{user.username}: {why}", config_dir=ctx.shown_dir, username=user.username
            )
    cutoff = ctx.now - timedelta(days=const.CHECK_UNUSED_DAYS)
    for user in users:
        if not user.is_admin or not user.is_active or user.is_owner:
            continue  # the owner is always an active administrator: nothing to take away
        seen = user.last_seen or user.created_at
        if seen is not None and seen < cutoff:
            days = (ctx.now - seen).days
            yield ADMIN_UNUSED.found(
                f"the administrator {user.username} was last used {days} days ago",
                config_dir=ctx.shown_dir,
                username=user.username,
            )


def password_outdated(user: Account, min_length: int) -> str | None:
    """Why `user`'s password predates the current policy, or None (pure)."""
    if user.policy_version is None:
        return "the password was set before Hearth recorded the policy it was checked against"
    if user.policy_version < const.PASSWORD_POLICY_VERSION:
        return (
            f"the password was checked against policy version {user.policy_version}; "
            f"the current one is {const.PASSWORD_POLICY_VERSION}"
        )
    if user.policy_min_length is not None and user.policy_min_length < min_length:
        return (
            f"the password was set when the minimum length was {user.policy_min_length}; "
            f"auth: password_min_length is now {min_length}"
        )
    return None


CHECK = Check(
    "accounts",
    "Accounts and MFA",
    (NO_USERS, ADMIN_WITHOUT_MFA, MFA_NOT_REQUIRED, OLD_PASSWORD, ADMIN_UNUSED),
    run,
)
