"""Run a command in the restrictions of deploy/systemd/hearth.service, without systemd.

Used by test_sandbox.py where PID 1 is not systemd (so systemd-run cannot start a transient
unit). Run as root inside `unshare --mount --ipc --uts --propagation private`:

    python sandbox.py STATE PYTHON_HOME SITE_PACKAGES UID:GID -- COMMAND...

STATE holds config/ (stays writable, like StateDirectory=), python/ and venv/ (mount points
for the interpreter and the venv's site-packages, so that both are reachable once /root is
hidden). Then: every other mount read-only (ProtectSystem=strict, ProtectKernelTunables=),
private /tmp and /var/tmp (PrivateTmp=), /root and /home empty (ProtectHome=), a /dev with
only the basic devices (PrivateDevices=), writable and executable memory refused
(MemoryDenyWriteExecute=, through prctl(PR_SET_MDWE)), and COMMAND runs as UID:GID with no
capability, no bounding set and no_new_privs (User=, CapabilityBoundingSet=,
NoNewPrivileges=). What needs seccomp (SystemCallFilter=, RestrictAddressFamilies=,
RestrictNamespaces=, LockPersonality=, RestrictRealtime=) is not reproduced.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

PR_SET_MDWE = 65
PR_GET_MDWE = 66
PR_MDWE_REFUSE_EXEC_GAIN = 1
DEVICES = {"null": (1, 3), "zero": (1, 5), "full": (1, 7), "random": (1, 8),
           "urandom": (1, 9), "tty": (5, 0)}  # fmt: skip


def mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, timeout=10)


def mount_points() -> list[str]:
    lines = Path("/proc/self/mountinfo").read_text().splitlines()
    return sorted({line.split()[4] for line in lines}, key=len, reverse=True)


def hidden_source() -> tuple[Path, str] | None:
    """Where the checkout's `src` is, if the sandbox would hide it, and which mount hides it.

    The venv installs Hearth in editable mode, pointing at the checkout; a checkout under
    /tmp or /root (a fresh clone in CI, say) must stay reachable, read-only, at the same path.
    """
    spec = importlib.util.find_spec("hearth")
    if spec is None or spec.origin is None:
        return None
    source = Path(spec.origin).resolve().parent.parent
    for top in ("/tmp", "/var/tmp", "/root", "/home"):
        if source.is_relative_to(top):
            return source, top
    return None


def main() -> None:
    state, python_home, site_packages, ids, dash, *command = sys.argv[1:]
    assert dash == "--", "usage: sandbox.py STATE PYTHON_HOME SITE_PACKAGES UID:GID -- COMMAND..."
    uid, gid = ids.split(":")
    base = Path(state)
    mount("--make-rprivate", "/")
    source = hidden_source()
    if source is not None:
        staging = base / "source"
        staging.mkdir(exist_ok=True)
        mount("--bind", str(source[0]), str(staging))
    mount("--bind", python_home, str(base / "python"))
    mount("--bind", site_packages, str(next((base / "venv" / "lib").glob("*/site-packages"))))
    mount("--bind", str(base / "config"), str(base / "config"))
    mount("--bind", "/proc/sys", "/proc/sys")
    writable = {str(base / "config"), "/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue"}
    for point in mount_points():
        if point not in writable:
            mount("-o", "remount,bind,ro", point)
    for private in ("/tmp", "/var/tmp"):
        mount("-t", "tmpfs", "-o", "mode=1777,nosuid,nodev", "tmpfs", private)
    for hidden in ("/root", "/home"):
        mount("-t", "tmpfs", "-o", "mode=000", "tmpfs", hidden)
    if source is not None:  # the checkout, read-only, where the editable install expects it
        source[0].mkdir(parents=True)
        mount("--bind", str(base / "source"), str(source[0]))
        mount("-o", "remount,bind,ro", str(source[0]))
    for hidden in ("/root", "/home"):
        mount("-o", "remount,ro", hidden)
    mount("-t", "tmpfs", "-o", "mode=755,nosuid,noexec", "tmpfs", "/dev")
    for name, (major, minor) in DEVICES.items():
        os.mknod(f"/dev/{name}", 0o666 | 0o020000, os.makedev(major, minor))
        os.chmod(f"/dev/{name}", 0o666)  # noqa: S103 - as in any /dev
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) != 0:
        sys.exit(f"prctl(PR_SET_MDWE) failed: {os.strerror(ctypes.get_errno())}")
    print(f"sandbox: mdwe={libc.prctl(PR_GET_MDWE, 0, 0, 0, 0)}", file=sys.stderr, flush=True)
    setpriv = ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--no-new-privs",
               "--bounding-set=-all", "--inh-caps=-all", "--ambient-caps=-all"]  # fmt: skip
    os.execvp("setpriv", [*setpriv, "--", *command])  # noqa: S606


if __name__ == "__main__":
    main()
