"""`lock`: the installed dependencies are exactly the hash-locked set they were installed from."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Final

import hearth
from hearth.check.context import CheckContext
from hearth.check.model import Check, Finding, NotChecked, Rule, Severity

LOCK_FILE: Final = "requirements.lock"
_SEED = (
    'Security page, "Source code": "we have a keen interest in the development of our '
    "dependencies\"; SLSA / pip's secure installs: pinned versions with hashes"
)

UNHASHED = Rule(
    "software.unhashed",
    Severity.WARN,
    "A locked dependency has no hash",
    _SEED,
    "Re-lock with hashes: `make lock`, then `make setup`",
)
MISMATCH = Rule(
    "software.not_as_locked",
    Severity.WARN,
    "Installed dependencies differ from the lock",
    _SEED,
    "Reinstall from the lock: `make clean setup` (pip then checks every hash)",
)

_PIN: Final = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)(.*)$")


@dataclass(frozen=True, slots=True)
class Pin:
    """One locked requirement."""

    name: str
    version: str
    hashed: bool
    conditional: bool  # has an environment marker: may rightly be absent here


def normalize(name: str) -> str:
    """PEP 503 normalised project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_lock(text: str) -> list[Pin]:
    """Pins of a pip-compile / uv lock file: `name==version \\` then `--hash=` lines (pure)."""
    pins: list[Pin] = []
    current: list[str] = []
    for line in [*text.splitlines(), ""]:
        stripped = line.strip()
        if current and (stripped.startswith("--hash=") or stripped.startswith("\\")):
            current.append(stripped)
            continue
        if current:
            head = _PIN.match(current[0])
            if head is not None:
                pins.append(
                    Pin(
                        normalize(head.group(1)),
                        head.group(2),
                        any("--hash=" in part for part in current),
                        ";" in head.group(3),
                    )
                )
            current = []
        if stripped and not stripped.startswith(("#", "-")):
            current = [stripped]
    return pins


def find_lock() -> Path | None:
    """requirements.lock of a source checkout this package runs from, if any."""
    root = Path(hearth.__file__).resolve().parents[2]
    candidate = root / LOCK_FILE
    return candidate if candidate.is_file() and (root / "pyproject.toml").is_file() else None


def installed_version(name: str) -> str | None:
    """The installed version of a distribution, None when it is not installed."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def run(ctx: CheckContext) -> Iterator[Finding]:
    """Every pin hashed and installed at exactly the locked version."""
    lock = ctx.host.lock_file or find_lock()
    if lock is None:
        raise NotChecked(f"no {LOCK_FILE} beside this installation (installed from a package?)")
    pins = parse_lock(lock.read_text(encoding="utf-8"))
    unhashed = [pin.name for pin in pins if not pin.hashed]
    if unhashed:
        yield UNHASHED.found(f"{lock.name}: no --hash for {', '.join(unhashed)}")
    different = []
    for pin in pins:
        version = installed_version(pin.name)
        if version is None and pin.conditional:
            continue
        if version != pin.version:
            different.append(f"{pin.name} {version or 'missing'} (locked {pin.version})")
    if different:
        yield MISMATCH.found(f"installed: {', '.join(different)}")


CHECK = Check("lock", "Locked dependencies", (UNHASHED, MISMATCH), run)
