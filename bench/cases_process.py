"""The hub as a process: start-up time, memory, and the login flow with its Argon2id cost."""

from __future__ import annotations

import sqlite3
from typing import Final

import argon2

from bench import logins, procs
from bench.context import MAIN, Bench, Case
from bench.hub import PASSWORD, USERNAME
from bench.procs import LOOPBACK_V4
from bench.results import CaseResult, Target, median

# OWASP Password Storage Cheat Sheet: equivalent Argon2id minimums (memory KiB, iterations), p=1.
OWASP_ARGON2ID: Final = ((47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5))


def startup(bench: Bench, result: CaseResult) -> None:
    """From spawning `hearth run` to the first 200 for an authenticated GET /api/."""
    result.hearth = list(bench.hub(MAIN).startup_seconds)
    result.note = f"{bench.settings.entities_small} entities; median of {len(result.hearth)} starts"


def rss_after_start(bench: Bench, result: CaseResult) -> None:
    """Resident memory right after the hub answered its first request."""
    result.hearth = [bench.rss_after_start]
    result.note = "MiB"


def rss_after_load(bench: Bench, result: CaseResult) -> None:
    """Resident memory once every case above has run against the main hub."""
    result.hearth = [procs.rss_mib(bench.hub(MAIN).pid)]
    result.note = "MiB, main hub after the REST, WebSocket and login cases"


def argon2_parameters(bench: Bench) -> argon2.Parameters:
    """The parameters of the bench user's stored hash (what the login really verifies)."""
    path = bench.hub(MAIN).config_dir / "hearth.db"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        row = conn.execute("SELECT password_hash FROM users WHERE username = ?", (USERNAME,))
        (password_hash,) = row.fetchone()
    return argon2.extract_parameters(password_hash)


def meets_owasp(params: argon2.Parameters) -> bool:
    """Argon2id at or above one of OWASP's equivalent parameter sets."""
    return params.type is argon2.Type.ID and any(
        params.memory_cost >= memory and params.time_cost >= rounds
        for memory, rounds in OWASP_ARGON2ID
    )


def login(bench: Bench, result: CaseResult) -> None:
    """Full login flow: start the flow, send the password, trade the code for tokens."""
    hub = bench.hub(MAIN)
    handler = logins.provider_handler(LOOPBACK_V4, hub.port)
    if handler is None:
        result.not_available("login flow (issue 3) not present")
        return
    logins.login(LOOPBACK_V4, hub.port, handler, USERNAME, PASSWORD)  # warm-up
    result.hearth = [
        1000 * logins.login(LOOPBACK_V4, hub.port, handler, USERNAME, PASSWORD)
        for _ in range(bench.settings.logins)
    ]
    params = argon2_parameters(bench)
    ok = meets_owasp(params)
    result.details.update(
        check=ok,
        argon2=f"m={params.memory_cost} KiB, t={params.time_cost}, p={params.parallelism}",
    )
    verdict = "at or above OWASP" if ok else "BELOW OWASP's minimum"
    result.note = (
        f"Argon2id m={params.memory_cost // 1024} MiB, t={params.time_cost}, "
        f"p={params.parallelism} ({verdict}); median of {len(result.hearth)} logins"
    )
    result.details["median_ms"] = median(result.hearth)


CASES_LOGIN = (
    Case(
        "login", "6. Login flow, full (Argon2id)", "ms", login,
        Target("check", 100.0, "≤ 100 ms, ≥ OWASP"), "268 ms",
    ),
)  # fmt: skip

CASES_START = (
    Case("startup", "7. Start-up to first authenticated 200", "s", startup,
         Target("value_max", 0.4, "< 0.4 s"), "1.36 s"),
    Case("rss_start", "7. RSS after start", "MiB", rss_after_start,
         Target("value_max", 50.0, "< 50 MiB"), "128 MiB"),
)  # fmt: skip

CASES_END = (Case("rss_load", "7. RSS after load", "MiB", rss_after_load),)
