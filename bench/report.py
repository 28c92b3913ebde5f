"""The table (Markdown, printed and put into the README) and the JSON file of a run."""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from bench import wrk
from bench.results import CaseResult, median, spread

README_START = "<!-- bench:start -->"
README_END = "<!-- bench:end -->"


def machine() -> dict[str, str]:
    """What the numbers were measured on."""
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace").splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = "?"
    for line in Path("/proc/meminfo").read_text(encoding="ascii").splitlines():
        if line.startswith("MemTotal:"):
            memory = f"{int(line.split()[1]) / 2**20:.0f} GiB"
    distro = platform.platform()
    os_release = Path("/etc/os-release")
    if os_release.exists():
        found = re.search(r'^PRETTY_NAME="?([^"\n]+)', os_release.read_text(), re.MULTILINE)
        distro = found.group(1) if found else distro
    exe = wrk.available()
    version = "not installed"
    if exe is not None:
        done = subprocess.run([exe, "-v"], capture_output=True, text=True, check=False)
        version = (done.stdout + done.stderr).split("\n", 1)[0].strip()
    return {
        "cpu": f"{cpu}, {os.cpu_count()} CPUs",
        "memory": memory,
        "os": f"{distro}, Linux {platform.release()}",
        "python": platform.python_version(),
        "aiohttp": aiohttp.__version__,
        "wrk": version,
    }


def _number(value: float, unit: str) -> str:
    if unit in ("req/s", "pings/s", "events/s", "handshakes/s"):
        return f"{value:,.0f}"
    if unit == "ms":
        return f"{value:.1f}" if value >= 10 else f"{value:.2f}"
    if unit == "s":
        return f"{value:.2f}"
    return f"{value:.1f}"


def _with_range(values: list[float], unit: str) -> str:
    mid, low, high = spread(values)
    text = f"{_number(mid, unit)} {unit}"
    if len(values) > 1:
        text += f" ({_number(low, unit)}–{_number(high, unit)})"
    return text


def _ratio(result: CaseResult) -> str:
    parts = []
    if result.ratios:
        mid, low, high = spread(result.ratios)
        parts.append(
            f"{mid:.2f} ×" + (f" ({low:.2f}–{high:.2f})" if len(result.ratios) > 1 else "")
        )
    if result.costs:
        parts.append(f"cost {100 * median(result.costs):.1f} %")
    return "; ".join(parts) or "—"


def _verdict(result: CaseResult) -> str:
    if result.status != "ok":
        return result.status
    met = result.met
    return "—" if met is None else ("met" if met else "**missed**")


def table(results: list[CaseResult]) -> str:
    """The Markdown table, one row per case."""
    lines = [
        "| Case | Hearth (median, min–max) | Ceiling | Ratio to ceiling | Target | Result "
        "| HA 2024.3 |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if r.status != "ok":
            cells = [r.title, r.status, "—", "—", r.target.text, _verdict(r), r.reference or "—"]
        else:
            cells = [
                r.title,
                _with_range(r.hearth, r.unit) if r.hearth else "—",
                _with_range(r.ceiling, r.unit) if r.ceiling else "—",
                _ratio(r),
                r.target.text,
                _verdict(r),
                r.reference or "—",
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def notes(results: list[CaseResult]) -> list[str]:
    """Per-case notes: what n/a means, errors, how a number was made."""
    return [f"{r.title}: {r.note}" for r in results if r.note]


def render(results: list[CaseResult], meta: dict[str, Any]) -> str:
    """Table plus its header (date, machine, settings) and notes, as Markdown."""
    m = meta["machine"]
    out = [
        f"Measured {meta['date']} on {m['cpu']}, {m['memory']} RAM, {m['os']}; "
        f"Python {m['python']}, aiohttp {m['aiohttp']}, {m['wrk']}.",
        "",
        f"Load: {meta['load']}. {meta['pinning']}. {meta['rounds']}; the ceiling is a bare "
        "aiohttp app in the same venv returning the same bytes, measured alternately with Hearth "
        "round by round. Ratios are per-round Hearth ÷ ceiling (higher is better). The last "
        "column is Home Assistant 2024.3 measured the same way on this kind of machine "
        "(reference figures from the benchmark issue).",
        "",
        table(results),
    ]
    extra = notes(results) + list(meta.get("notes", []))
    if extra:
        out += ["", "Notes:", "", *(f"- {line}" for line in extra)]
    return "\n".join(out) + "\n"


def write_json(results: list[CaseResult], meta: dict[str, Any], directory: Path) -> Path:
    """bench/results/<UTC timestamp>.json with every round's values."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = directory / f"{stamp}.json"
    data = {**meta, "cases": [r.as_dict() for r in results]}
    path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def update_readme(readme: Path, markdown: str) -> bool:
    """Replace the text between the bench markers in the README; False if there are none."""
    text = readme.read_text(encoding="utf-8")
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        return False
    head = text[: start + len(README_START)]
    readme.write_text(f"{head}\n{markdown}{text[end:]}", encoding="utf-8")
    return True
