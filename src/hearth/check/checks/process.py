"""`process`: the hub does not run as root (seed: "Don't run Home Assistant as root")."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from hearth.check.context import CheckContext
from hearth.check.model import Check, Finding, Rule, Severity

ROOT = Rule(
    "process.root",
    Severity.FAIL,
    "The hub runs as root",
    "Securing checklist: \"Don't run Home Assistant as root – consider the Principle of Least "
    'Privilege."',
    "Run the hub as an unprivileged user that owns the configuration: `useradd --system "
    "--no-create-home hearth && chown -R hearth: {config_dir}`, then start `hearth run` as "
    "that user (e.g. `User=hearth` in its systemd unit)",
    critical=True,
)

_MAX_PROCESSES = 100_000  # /proc entries looked at
_PYTHON_OPTIONS_WITH_VALUE = frozenset({"-X", "-W", "--check-hash-based-pycs"})


@dataclass(frozen=True, slots=True)
class HubProcess:
    """A running `hearth run`, as /proc shows it."""

    pid: int
    uid: int  # effective user id
    config_dir: Path | None  # None when its working directory cannot be read


def _hearth_arguments(argv: list[str]) -> int | None:
    """Where hearth's own arguments start: after `hearth`, `python [...] -m hearth` or
    `python /venv/bin/hearth` (how a console script shows); None for any other program."""
    if not argv:
        return None
    program = os.path.basename(argv[0])
    if program == "hearth":
        return 1
    if not program.startswith("python"):
        return None  # `timeout 5 hearth run`, an editor with a file named hearth open ...
    index = 1
    while index < len(argv):
        arg = argv[index]
        if arg == "-m":
            return index + 2 if argv[index + 1 : index + 2] == ["hearth"] else None
        if arg == "-c":
            return None
        if not arg.startswith("-"):
            return index + 1 if os.path.basename(arg) == "hearth" else None
        index += 2 if arg in _PYTHON_OPTIONS_WITH_VALUE else 1
    return None


def parse_command(argv: list[str], cwd: Path | None) -> Path | bool | None:
    """The config dir of a `hearth [-c DIR] run` command line (None: relative to an unknown
    working directory); False if the command line is something else."""
    start = _hearth_arguments(argv)
    if start is None:
        return False
    args = argv[start:]
    if "run" not in args:
        return False
    config = "config"
    for index, arg in enumerate(args):
        if arg in ("-c", "--config") and index + 1 < len(args):
            config = args[index + 1]
        elif arg.startswith("--config="):
            config = arg.removeprefix("--config=")
    if os.path.isabs(config):
        return Path(os.path.normpath(config))
    return None if cwd is None else Path(os.path.normpath(cwd / config))


def running_hubs(proc: Path) -> list[HubProcess]:
    """Every `hearth run` process readable in `proc` (read-only: cmdline, status, cwd)."""
    found = []
    try:
        entries = [entry for entry in os.scandir(proc) if entry.name.isdigit()]
    except OSError:
        return []
    for entry in entries[:_MAX_PROCESSES]:
        base = Path(entry.path)
        try:
            argv = (base / "cmdline").read_bytes().decode(errors="replace").split("\0")
            status = (base / "status").read_text(errors="replace")
        except OSError:
            continue
        try:
            cwd: Path | None = Path(os.readlink(base / "cwd"))
        except OSError:
            cwd = None
        config_dir = parse_command([arg for arg in argv if arg], cwd)
        if isinstance(config_dir, bool):
            continue
        uid = next(
            (int(line.split()[2]) for line in status.splitlines() if line.startswith("Uid:")), -1
        )
        found.append(HubProcess(int(entry.name), uid, config_dir))
    return found


def run(ctx: CheckContext) -> Iterator[Finding]:
    """The hub itself asks its own user id; the CLI looks at running hubs, then at file owners."""
    if ctx.where == "hub":
        if ctx.host.euid == 0:
            yield ROOT.found("this hub process runs as root (uid 0)", config_dir=ctx.shown_dir)
        return
    real = Path(os.path.realpath(ctx.config_dir))
    hubs = [
        hub
        for hub in running_hubs(ctx.path("/proc"))
        if hub.config_dir is None or Path(os.path.realpath(hub.config_dir)) == real
    ]
    if hubs:
        for hub in hubs:
            if hub.uid == 0:
                yield ROOT.found(
                    f"the running hub (pid {hub.pid}) runs as root", config_dir=ctx.shown_dir
                )
        return
    uid, how = ctx.hub_owner()
    if uid == 0:
        yield ROOT.found(f"the hub runs as root: root is {how}", config_dir=ctx.shown_dir)


CHECK = Check("process", "Process user", (ROOT,), run)
