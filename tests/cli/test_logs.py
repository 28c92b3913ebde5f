"""The running hub's log thread: batches, keeps the newest records when stderr stalls, says so."""

from __future__ import annotations

import io
import logging
import threading

from hearth.cli import logs


class StalledStream(io.StringIO):
    """stderr that takes nothing until `release` is set (a terminal paused with Ctrl-S)."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.blocked = threading.Event()

    def write(self, text: str) -> int:
        self.blocked.set()
        self.release.wait(10)
        return super().write(text)


def record(message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("hearth.test", logging.WARNING, __file__, 1, message, args, None)


def test_records_are_written_with_their_arguments_as_they_were() -> None:
    stream = io.StringIO()
    handler = logs.LogThread(stream)
    shown = ["before"]
    handler.handle(record("Login failed from %s", shown))
    shown[0] = "after"  # the text is what it was when logged
    handler.stop()
    line = stream.getvalue()
    assert line.endswith(" WARNING hearth.test: Login failed from ['before']\n"), line


def test_a_traceback_is_rendered_when_logged() -> None:
    stream = io.StringIO()
    handler = logs.LogThread(stream)
    try:
        raise ValueError("boom")
    except ValueError:
        failed = logging.LogRecord(
            "hearth.test",
            logging.ERROR,
            __file__,
            1,
            "Unexpected",
            (),
            __import__("sys").exc_info(),
        )
    handler.handle(failed)
    handler.stop()
    assert "Traceback" in stream.getvalue()
    assert "ValueError: boom" in stream.getvalue()


def test_a_stalled_stderr_keeps_the_newest_records_and_says_how_many_went() -> None:
    stream = StalledStream()
    handler = logs.LogThread(stream)
    handler.handle(record("first"))
    assert stream.blocked.wait(5)  # the thread is stuck writing "first"
    extra = 7
    for number in range(logs.MAX_WAITING + extra):
        handler.handle(record("line %d", number))
    stream.release.set()
    handler.stop()
    lines = stream.getvalue().splitlines()
    assert lines[0].endswith("first")
    assert lines[1].endswith(f"{extra} log record(s) dropped: stderr was not taking them")
    assert lines[2].endswith(f"line {extra}")  # the oldest went
    assert lines[-1].endswith(f"line {logs.MAX_WAITING + extra - 1}")
    assert len(lines) == 2 + logs.MAX_WAITING
