"""Who must use MFA (`auth: mfa_required`), as a pure function of plain values."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Literal, get_args

if TYPE_CHECKING:
    from hearth.auth.models import User

MfaPolicy = Literal["none", "admins", "remote", "all"]
MFA_POLICIES: Final[tuple[str, ...]] = get_args(MfaPolicy)


def mfa_required_for(
    user: User, *, remote: bool, policy: MfaPolicy | None, any_admin_has_mfa: bool
) -> bool:
    """Whether `user` must pass (and so, without MFA, first set up) a second factor to log in.

    `policy` None is the default: administrators, once any active administrator has set up MFA.
    Until then nobody is forced to enrol, so a fresh install never blocks its first login on a
    device its owner may not have; from the moment one admin opts in, every admin must. Anyone
    who has set up MFA is asked for a code whatever the policy says.
    """
    if policy is None:
        return user.is_admin and any_admin_has_mfa
    if policy == "all":
        return True
    if policy == "admins":
        return user.is_admin
    if policy == "remote":
        return remote
    return False
