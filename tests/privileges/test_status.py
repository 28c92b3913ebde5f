"""/proc/PID/status as the privilege drop and `hearth check` read it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hearth import const
from hearth.privileges.status import hub_pid, parse_status, process_status, thread_statuses

DROPPED = """Name:\tpython
Umask:\t0077
State:\tS (sleeping)
Uid:\t999\t999\t999\t999
Gid:\t995\t995\t995\t995
Groups:\t995
CapInh:\t0000000000000000
CapPrm:\t0000000000000000
CapEff:\t0000000000000000
CapBnd:\t0000000000000000
CapAmb:\t0000000000000000
NoNewPrivs:\t1
Seccomp:\t0
"""


def test_a_dropped_process_parses() -> None:
    status = parse_status(DROPPED)
    assert status.uids == (999, 999, 999, 999)
    assert status.gids == (995, 995, 995, 995)
    assert status.groups == (995,)
    assert status.no_new_privs
    assert not status.is_root
    assert not status.capabilities
    assert status.cap_bounding == 0


@pytest.mark.parametrize(
    ("replace", "by", "root", "capabilities"),
    [
        ("Uid:\t999\t999\t999\t999", "Uid:\t999\t999\t0\t999", True, False),  # saved uid 0
        ("CapPrm:\t0000000000000000", "CapPrm:\t0000000000000400", False, True),
        ("CapAmb:\t0000000000000000", "CapAmb:\t0000000000000400", False, True),
        ("CapBnd:\t0000000000000000", "CapBnd:\t000001ffffffffff", False, False),
    ],
)
def test_what_counts_as_privileged(replace: str, by: str, root: bool, capabilities: bool) -> None:
    status = parse_status(DROPPED.replace(replace, by))
    assert status.is_root is root
    assert status.capabilities is capabilities


def test_a_missing_field_is_an_error() -> None:
    with pytest.raises(ValueError, match="CapEff"):
        parse_status(DROPPED.replace("CapEff:", "Nope:"))


def test_this_process_and_its_threads() -> None:
    status = process_status()
    assert status.uids[1] == os.geteuid()
    assert len(thread_statuses()) >= 1


def test_the_hub_pid_comes_from_the_lock_file(tmp_path: Path) -> None:
    assert hub_pid(tmp_path) is None
    (tmp_path / const.LOCK_FILE).write_text("4242\n")
    assert hub_pid(tmp_path) == 4242
    (tmp_path / const.LOCK_FILE).write_text("")  # a stopped hub empties it
    assert hub_pid(tmp_path) is None
    (tmp_path / const.LOCK_FILE).write_text("not a pid")
    assert hub_pid(tmp_path) is None
