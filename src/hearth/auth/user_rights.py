"""Who may change whose account over the API: pure rules, tested as a table.

Threat: an administrator who is not the owner must not be able to take the hub away from its
owner: set the owner's password (and log in as the owner), make the owner `local_only` (locking
them out from away), rename them, or remove their second factor. Only the owner may change the
owner's account over the API; someone at the host can always use the CLI (`hearth user ...`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

from hearth.exceptions import BadRequest, HearthError, PermissionDenied

if TYPE_CHECKING:
    from hearth.auth.models import User

# What each changeable part of an account is called in a refusal.
FIELD_NAMES: Final = {
    "name": "name",
    "is_admin": "administrator rights",
    "is_active": "active flag",
    "local_only": "local-only flag",
    "password": "password",
    "mfa": "multi-factor authentication",
}


def changed_fields(target: User, requested: Mapping[str, object]) -> list[str]:
    """The requested fields whose value differs from the target's (None means not requested).

    `password` and `mfa` are changes whenever requested: they have no comparable value.
    """
    changed = []
    for field, value in requested.items():
        if value is None:
            continue
        if field in ("password", "mfa") or getattr(target, field) != value:
            changed.append(field)
    return changed


def user_change_refusal(actor: User, target: User, fields: list[str]) -> HearthError | None:
    """Why `actor` may not change `fields` of `target` over the API; None when allowed.

    `fields` are the fields that actually change (see `changed_fields`): a client that sends a
    user's unchanged values back (Home Assistant's user dialog does) is not refused for them.
    """
    if not fields:
        return None
    if target.is_owner and not actor.is_owner:
        names = ", ".join(FIELD_NAMES.get(field, field) for field in fields)
        return PermissionDenied(
            f"Only the owner can change the owner's {names} "
            "(or someone at the host, with the hearth command)."
        )
    if target.id == actor.id and ("is_admin" in fields or "is_active" in fields):
        # An admin locking themselves out by accident would need the CLI to get back in.
        return BadRequest("You cannot remove your own administrator rights or deactivate yourself.")
    return None
