"""Profile a server's event loop on demand, and say where its time goes (against the ceiling).

`python -m bench.profiler OUT CONFIG_DIR` runs `hearth -c CONFIG_DIR run`;
`python -m bench.profiler OUT --module MODULE ARGS...` runs another module (the ceiling).
cProfile starts off; SIGUSR1 turns it on (start-up and warm-up stay out), and the statistics are
written to OUT when the process exits (SIGTERM). `--from-start` profiles start-up too.
Only the main thread is seen: time in worker threads (Argon2id) shows as time the loop waited.
"""

from __future__ import annotations

import cProfile
import pstats
import runpy
import signal
import sys
from collections import defaultdict
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

T = TypeVar("T")
Key = tuple[str, int, str]  # file, line, function: the same across processes
# Waiting for I/O is idle time, not work; dispatch wrappers only pass time on to others.
_IDLE = ("'poll' of 'select.epoll'", "'select' of 'select", "acquire' of '_thread.lock")
_PLUMBING = ("_run_once", "run_forever", "'run' of '_contextvars.Context'", "_run")


def _area(filename: str, name: str) -> str:
    """Where a function belongs: hearth/<module>, aiohttp, asyncio, socket I/O, sqlite, ..."""
    if filename == "~":
        if "socket" in name:
            return "socket I/O"
        if "sqlite3" in name:
            return "sqlite"
        return "builtins"
    path = Path(filename)
    parts = path.parts
    if "hearth" in parts:
        return "hearth/" + "/".join(parts[parts.index("hearth") + 1 :])
    for package in ("aiohttp", "asyncio", "logging", "sqlite3", "jwt", "multidict", "yarl"):
        if package in parts:
            return package
    return path.stem


class Profile:
    """One profile's busy time, per function and per area, in µs per operation."""

    def __init__(self, stats_file: Path, operations: int) -> None:
        entries: dict[Key, Any] = pstats.Stats(str(stats_file)).stats  # type: ignore[attr-defined]
        scale = 1e6 / max(operations, 1)
        self.functions: dict[Key, float] = {
            key: value[2] * scale
            for key, value in entries.items()
            if not any(idle in key[2] for idle in _IDLE)
        }
        self.areas: defaultdict[str, float] = defaultdict(float)
        for key, micros in self.functions.items():
            filename, _line, name = key
            area = _area(filename, name)
            callers = entries[key][4]
            if area != "builtins" or not callers:
                self.areas[area] += micros
                continue
            # A builtin (any, bytes.join, a write) is charged to whoever called it.
            spent = sum(caller[2] for caller in callers.values()) or 1.0
            for (c_file, _c_line, c_name), caller in callers.items():
                self.areas[_area(c_file, c_name)] += micros * caller[2] / spent

    @property
    def total(self) -> float:
        """Busy µs per operation."""
        return sum(self.functions.values())


def _largest(values: dict[T, float], count: int) -> list[tuple[T, float]]:
    return sorted(values.items(), key=lambda item: -item[1])[:count]


def _label(key: Key) -> str:
    filename, line, name = key
    return name if filename == "~" else f"{name} ({Path(filename).name}:{line})"


def summary(stats_file: Path, operations: int = 1, top: int = 5) -> str:
    """Shares of busy time by area, then the functions with the most own time."""
    profile = Profile(stats_file, operations)
    total = profile.total
    if total <= 0:
        return "nothing profiled"
    ours = sum(t for area, t in profile.areas.items() if area.startswith("hearth/"))
    by_area = ", ".join(
        f"{area} {100 * t / total:.0f} %" for area, t in _largest(profile.areas, top)
    )
    ranked = sorted(profile.functions.items(), key=lambda kv: -kv[1])
    functions = [
        f"{_label(key)} {100 * t / total:.0f} %"
        for key, t in ranked
        if not any(part in key[2] for part in _PLUMBING)
    ][:top]
    return (
        f"by area: {by_area} (Hearth's own code in all: {100 * ours / total:.0f} %); "
        f"top functions: {', '.join(functions)}"
    )


def difference(ours: Profile, ceiling: Profile, unit: str = "request", top: int = 6) -> str:
    """Where Hearth spends more than the ceiling per operation, by area and by function."""
    areas = {a: t - ceiling.areas.get(a, 0.0) for a, t in ours.areas.items()}
    functions = {k: t - ceiling.functions.get(k, 0.0) for k, t in ours.functions.items()}
    extra_areas = ", ".join(f"{area} +{us:.0f}" for area, us in _largest(areas, top) if us >= 1)
    extra_functions = ", ".join(
        f"{_label(key)} +{us:.1f}"
        for key, us in _largest(functions, top * 2)
        if us >= 0.5 and not any(part in key[2] for part in _PLUMBING)
    )
    return (
        f"busy µs per {unit} under cProfile: Hearth {ours.total:.0f}, "
        f"ceiling {ceiling.total:.0f}; "
        f"extra by area: {extra_areas}; extra by function: {extra_functions}"
    )


def main(argv: list[str]) -> None:
    """Run the server; profile between SIGUSR1 (or the start) and exit."""
    from_start = "--from-start" in argv
    args = [arg for arg in argv if arg != "--from-start"]
    out = args.pop(0)
    profiler = cProfile.Profile()

    def enable(_signum: int, _frame: FrameType | None) -> None:
        profiler.enable()

    signal.signal(signal.SIGUSR1, enable)
    if from_start:
        profiler.enable()
    try:
        if args[0] == "--module":
            sys.argv = [args[1], *args[2:]]
            runpy.run_module(args[1], run_name="__main__", alter_sys=True)
        else:
            from hearth.cli import main as hearth_main

            hearth_main(["-c", args[0], "run", "--allow-root"])
    finally:
        profiler.disable()
        profiler.dump_stats(out)


if __name__ == "__main__":
    main(sys.argv[1:])
