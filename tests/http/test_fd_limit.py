"""The open-file limit, the connection cap below it, and quiet accept errors."""

from __future__ import annotations

import asyncio
import errno
import logging
import resource
import subprocess
import sys
from typing import Any

import pytest

from hearth import const
from hearth.http import fd_limit
from hearth.http.fd_limit import ACCEPT_ERROR_MESSAGE, connection_cap, quiet_accept_errors


@pytest.mark.parametrize(
    ("open_files", "cap"),
    [
        (1024, 1024 - const.FD_RESERVE),
        (256, const.MIN_CONNECTIONS),
        (8192, const.MAX_CONNECTIONS),
        (1 << 20, const.MAX_CONNECTIONS),
    ],
)
def test_connection_cap(open_files: int, cap: int) -> None:
    assert connection_cap(open_files) == cap


def _lower_soft_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(256, hard), hard))


def test_soft_limit_is_raised_to_the_hard_limit() -> None:
    code = (
        "import resource; from hearth.http.fd_limit import raise_open_file_limit as r; "
        "now = r(); print(now, *resource.getrlimit(resource.RLIMIT_NOFILE))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
        preexec_fn=_lower_soft_limit,
    )
    now, soft, hard = (int(part) for part in done.stdout.split())
    assert now == soft == hard


def _accept_failure() -> dict[str, Any]:
    return {
        "message": ACCEPT_ERROR_MESSAGE,
        "exception": OSError(errno.EMFILE, "Too many open files"),
    }


async def test_accept_errors_are_one_line_a_second(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    loop = asyncio.get_running_loop()
    seen: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: seen.append(context))
    monkeypatch.setattr(fd_limit, "ACCEPT_ERRORS", fd_limit.LogLimiter(interval=60))
    try:
        quiet_accept_errors(loop)
        quiet_accept_errors(loop)  # idempotent: not wrapped twice
        with caplog.at_level(logging.ERROR, logger="hearth.http.fd_limit"):
            for _ in range(500):
                loop.call_exception_handler(_accept_failure())
            loop.call_exception_handler({"message": "something else"})
    finally:
        loop.set_exception_handler(None)
    assert [record.getMessage() for record in caplog.records] == [
        "Cannot accept connections: Too many open files (retrying every second)"
    ]
    assert caplog.records[0].exc_info is None  # no traceback
    assert seen == [{"message": "something else"}]  # other reports reach the previous handler
