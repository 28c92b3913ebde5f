"""Who may change whose account over the API, as a table of cases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hearth.auth.models import User
from hearth.auth.user_rights import changed_fields, user_change_refusal
from hearth.exceptions import BadRequest, PermissionDenied


def user(user_id: str, *, owner: bool = False, admin: bool = False, **flags: object) -> User:
    return User(
        id=user_id,
        username=user_id,
        name=str(flags.get("name", user_id.title())),
        is_owner=owner,
        is_admin=admin or owner,
        is_active=bool(flags.get("is_active", True)),
        local_only=bool(flags.get("local_only", False)),
        created_at=datetime(2025, 1, 1, tzinfo=UTC),
    )


OWNER = user("owner", owner=True)
ADMIN = user("admin", admin=True)
OTHER_ADMIN = user("other", admin=True)
RESIDENT = user("resident")

# (actor, target, changed fields, refusal type or None)
CASES = [
    # A non-owner admin cannot touch any part of the owner's account.
    (ADMIN, OWNER, ["password"], PermissionDenied),
    (ADMIN, OWNER, ["local_only"], PermissionDenied),
    (ADMIN, OWNER, ["name"], PermissionDenied),
    (ADMIN, OWNER, ["is_active"], PermissionDenied),
    (ADMIN, OWNER, ["is_admin"], PermissionDenied),
    (ADMIN, OWNER, ["mfa"], PermissionDenied),
    (ADMIN, OWNER, [], None),  # sending the owner's unchanged values back is fine
    # The owner manages their own account (the store keeps them an active admin).
    (OWNER, OWNER, ["password"], None),
    (OWNER, OWNER, ["local_only", "name"], None),
    (OWNER, OWNER, ["mfa"], None),
    # Admins manage other admins and users, as in Home Assistant.
    (ADMIN, OTHER_ADMIN, ["password"], None),
    (ADMIN, OTHER_ADMIN, ["is_admin", "is_active", "local_only"], None),
    (ADMIN, RESIDENT, ["password", "mfa"], None),
    (OWNER, ADMIN, ["is_admin"], None),
    # Nobody demotes or deactivates themselves by accident over the API.
    (ADMIN, ADMIN, ["is_admin"], BadRequest),
    (ADMIN, ADMIN, ["is_active"], BadRequest),
    (ADMIN, ADMIN, ["local_only", "name", "password"], None),
]


@pytest.mark.parametrize(("actor", "target", "fields", "refusal"), CASES)
def test_user_change_rules(
    actor: User, target: User, fields: list[str], refusal: type[Exception] | None
) -> None:
    found = user_change_refusal(actor, target, fields)
    if refusal is None:
        assert found is None
    else:
        assert type(found) is refusal


def test_refusal_names_the_fields() -> None:
    found = user_change_refusal(ADMIN, OWNER, ["password", "local_only"])
    assert found is not None
    assert found.message.startswith("Only the owner can change the owner's password, local-only")


@pytest.mark.parametrize(
    ("requested", "changed"),
    [
        ({"name": "Owner", "is_admin": True, "is_active": True, "local_only": False}, []),
        ({"name": None, "is_admin": None, "is_active": None, "local_only": True}, ["local_only"]),
        ({"name": "Mallory"}, ["name"]),
        ({"password": "x"}, ["password"]),
        ({"mfa": True}, ["mfa"]),
    ],
)
def test_changed_fields(requested: dict[str, object], changed: list[str]) -> None:
    assert changed_fields(OWNER, requested) == changed
