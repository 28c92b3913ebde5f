"""`auth: mfa_required` as a table: who must use MFA, under each policy."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from hearth.auth.mfa.policy import MFA_POLICIES, MfaPolicy, mfa_required_for
from hearth.auth.models import User
from hearth.config import load_config
from hearth.config.schema import AuthSection, Config
from hearth.exceptions import ConfigError

ADMIN = User(id="a", username="admin", name="Admin", is_admin=True)
OWNER = User(id="o", username="owner", name="Owner", is_admin=True, is_owner=True)
PLAIN = User(id="u", username="user", name="User")

# (policy, user, remote, any_admin_has_mfa) -> required
TABLE: list[tuple[MfaPolicy | None, User, bool, bool, bool]] = [
    # Default: nobody until one admin opts in; then every admin, local or remote.
    (None, ADMIN, False, False, False),
    (None, ADMIN, True, False, False),
    (None, OWNER, True, False, False),
    (None, PLAIN, True, False, False),
    (None, ADMIN, False, True, True),
    (None, ADMIN, True, True, True),
    (None, OWNER, False, True, True),
    (None, PLAIN, False, True, False),
    (None, PLAIN, True, True, False),
    # none: never forced.
    ("none", ADMIN, True, True, False),
    ("none", PLAIN, True, False, False),
    # admins: every admin at once, even before anyone has enrolled.
    ("admins", ADMIN, False, False, True),
    ("admins", OWNER, False, False, True),
    ("admins", PLAIN, True, True, False),
    # remote: everyone logging in from outside the local networks.
    ("remote", PLAIN, True, False, True),
    ("remote", ADMIN, True, False, True),
    ("remote", ADMIN, False, True, False),
    ("remote", PLAIN, False, False, False),
    # all: everyone, everywhere.
    ("all", PLAIN, False, False, True),
    ("all", ADMIN, True, True, True),
]


@pytest.mark.parametrize(("policy", "user", "remote", "any_admin", "required"), TABLE)
def test_policy_table(
    policy: MfaPolicy | None, user: User, remote: bool, any_admin: bool, required: bool
) -> None:
    assert (
        mfa_required_for(user, remote=remote, policy=policy, any_admin_has_mfa=any_admin)
        is required
    )


def test_every_policy_is_in_the_table() -> None:
    assert {row[0] for row in TABLE} == {None, *MFA_POLICIES}
    assert MFA_POLICIES == ("none", "admins", "remote", "all")


def test_config_default_is_the_gradual_admin_policy() -> None:
    assert Config().auth.mfa_required is None
    assert AuthSection(mfa_required="all").mfa_required == "all"


@pytest.mark.parametrize("value", ["always", "Admins", "", 1, True])
def test_config_rejects_other_values(value: object) -> None:
    with pytest.raises(ValidationError):
        Config.model_validate({"auth": {"mfa_required": value}})


def test_config_error_is_one_line_with_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "configuration.yaml").write_text("auth:\n  mfa_required: always\n")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert str(caught.value) == (
        "configuration.yaml, line 2: auth.mfa_required: "
        "expected 'none', 'admins', 'remote' or 'all'"
    )
