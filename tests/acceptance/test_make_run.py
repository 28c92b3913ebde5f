"""`make run` on a fresh machine, as root and as an ordinary user (issue 13)."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from hearth.privileges.status import hub_pid, process_status
from tests.acceptance.support import STOP_TIMEOUT, free_port, port_open, write_config
from tests.acceptance.support_root import TEST_USER, ensure_user
from tests.acceptance.support_tls import wait_for

pytestmark = [
    pytest.mark.acceptance,
    pytest.mark.skipif(os.geteuid() != 0, reason="creating a user needs root"),
]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def open_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="hearth-make-", dir="/tmp"))
    path.chmod(0o711)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def new_user() -> Iterator[str]:
    """A user name that does not exist yet; removed afterwards if `make run` created it."""
    name = f"hearth-mk{os.getpid() % 100000}"
    assert not _exists(name)
    yield name
    if _exists(name):
        subprocess.run(["userdel", name], timeout=30, check=False)


def _exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def make_run(config: Path, log: Path, *extra: str, prefix: tuple[str, ...] = ()
             ) -> subprocess.Popen[bytes]:  # fmt: skip
    with log.open("wb") as out:
        return subprocess.Popen(
            [*prefix, "make", "-s", "-C", str(ROOT), "run", f"CONFIG={config}", *extra],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={k: v for k, v in os.environ.items() if not k.startswith(("HEARTH", "MAKE"))},
        )


def serve_then_stop(process: subprocess.Popen[bytes], config: Path, log: Path) -> int:
    """Wait for the hub, return its pid's user id, stop it with SIGTERM (make exits with it)."""
    try:
        wait_for(lambda: "Hearth is listening" in log.read_text(errors="replace")
                 or process.poll() is not None, "make run to start the hub")  # fmt: skip
        assert process.poll() is None, log.read_text()
        pid = hub_pid(config)
        assert pid is not None
        uid = process_status(pid).uids[1]
        os.kill(pid, signal.SIGTERM)
        assert process.wait(timeout=STOP_TIMEOUT) == 0, log.read_text()
        return uid
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT)


@pytest.mark.timeout(120)
def test_make_run_as_root_creates_a_locked_user_and_serves_as_it(
    open_dir: Path, new_user: str
) -> None:
    config = open_dir / "config"
    port = free_port()
    write_config(config, port)
    log = open_dir / "make.log"
    uid = serve_then_stop(make_run(config, log, f"HEARTH_USER={new_user}"), config, log)
    entry = pwd.getpwnam(new_user)
    assert uid == entry.pw_uid != 0
    assert entry.pw_shell == "/usr/sbin/nologin"
    assert entry.pw_dir == "/nonexistent"
    assert not Path(entry.pw_dir).exists()
    lines = Path("/etc/shadow").read_text().splitlines()
    shadow = {line.split(":")[0]: line.split(":")[1] for line in lines}
    assert shadow[new_user].startswith(("!", "*"))  # locked: no password can log in
    text = log.read_text()
    assert f"Creating the system user {new_user} (no shell, no password, no home)" in text
    assert os.stat(config).st_uid == entry.pw_uid
    assert not port_open(port)


def test_make_run_as_an_ordinary_user_just_runs(open_dir: Path) -> None:
    user = ensure_user(TEST_USER)
    ids = (f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups")
    prefix = ("setpriv", *ids, "--")
    stdlib = (
        Path(sys.base_prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    )
    probe = subprocess.run(
        [
            *prefix,
            "sh",
            "-c",
            'test -x "$1" && test -r "$2"',
            "probe",
            str(ROOT / ".venv" / "bin" / "python"),
            str(stdlib / "os.py"),
        ],
        capture_output=True,
        timeout=30,
        check=False,
    )
    if probe.returncode != 0:
        pytest.skip(
            f"an ordinary user cannot run this venv's interpreter ({sys.base_prefix} is under "
            "a directory closed to it, e.g. pyenv in /root): the checkout cannot be used by "
            "anyone but root on this machine"
        )
    config = open_dir / "config"
    write_config(config, free_port())
    for path in [config, *config.iterdir()]:
        os.chown(path, user.pw_uid, user.pw_gid)
    log = open_dir / "make.log"
    uid = serve_then_stop(make_run(config, log, prefix=prefix), config, log)
    assert uid == user.pw_uid
    assert "Creating the system user" not in log.read_text()
