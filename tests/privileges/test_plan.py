"""Who `hearth run` serves as, decided from --user, --allow-root and who started it."""

from __future__ import annotations

import pwd

import pytest

from hearth.exceptions import PrivilegeError
from hearth.privileges import ROOT_REFUSAL, RunAs, plan
from hearth.privileges.drop import Target, problems
from hearth.privileges.status import parse_status
from tests.privileges.test_status import DROPPED

NOBODY = pwd.getpwnam("nobody")


def test_root_needs_a_user_or_allow_root() -> None:
    with pytest.raises(PrivilegeError) as info:
        plan(None, allow_root=False, euid=0)
    assert str(info.value) == ROOT_REFUSAL
    assert plan(None, allow_root=True, euid=0) == RunAs(allow_root=True)
    switch = plan("nobody", allow_root=False, euid=0)
    assert switch.target is not None
    assert (switch.target.uid, switch.check_uid) == (NOBODY.pw_uid, NOBODY.pw_uid)


def test_an_unprivileged_start_just_runs() -> None:
    assert plan(None, allow_root=False, euid=1000) == RunAs()
    assert plan(None, allow_root=True, euid=1000) == RunAs()  # nothing to allow
    assert plan("nobody", allow_root=False, euid=NOBODY.pw_uid) == RunAs()  # already that user
    assert RunAs().check_uid == -1


def test_only_root_switches_users() -> None:
    with pytest.raises(PrivilegeError, match=r"--user nobody: only root can switch users"):
        plan("nobody", allow_root=False, euid=1000)


@pytest.mark.parametrize(
    ("user", "allow_root", "message"),
    [
        ("nobody", True, "--user and --allow-root exclude each other"),
        ("root", False, "--user root: that user is root (uid 0)"),
        ("no-such-user-anywhere", False, "--user no-such-user-anywhere: there is no such user"),
    ],
)
def test_bad_choices(user: str, allow_root: bool, message: str) -> None:
    with pytest.raises(PrivilegeError) as info:
        plan(user, allow_root=allow_root, euid=0)
    assert str(info.value).startswith(message)


TARGET = Target("hearth", 999, 995, (995,))


@pytest.mark.parametrize(
    ("replace", "by", "found"),
    [
        ("", "", []),
        ("Uid:\t999\t999\t999\t999", "Uid:\t999\t999\t0\t999", ["user ids (999, 999, 0, 999)"]),
        ("Gid:\t995\t995\t995\t995", "Gid:\t0\t995\t995\t995", ["group ids (0, 995, 995, 995)"]),
        ("Groups:\t995", "Groups:\t0 995", ["groups (0, 995)"]),
        ("CapEff:\t0000000000000000", "CapEff:\t0000000000000400", ["capabilities"]),
        ("NoNewPrivs:\t1", "NoNewPrivs:\t0", ["no_new_privs is off"]),
        ("CapBnd:\t0000000000000000", "CapBnd:\t0000000000000400", ["bounding set 400"]),
    ],
)
def test_what_a_thread_may_not_keep(replace: str, by: str, found: list[str]) -> None:
    status = parse_status(DROPPED.replace(replace, by))
    listed = problems(status, TARGET, bounding_emptied=True)
    assert [entry.split(" (permitted")[0] for entry in listed] == found
