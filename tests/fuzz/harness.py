"""The hub under fuzz and the checks made after every example."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from tests.acceptance.support import RunningHub
from tests.fuzz.client import BAD_LOG, OBSERVER, exchange, json_body
from tests.fuzz.observer import Observer


@dataclass
class FuzzHub:
    """A running hub under fuzz, an event loop for WebSocket work and a bystander client."""

    hub: RunningHub
    runner: asyncio.Runner
    observer: Observer
    log_offset: int = 0

    def __repr__(self) -> str:
        return f"FuzzHub(port={self.hub.port})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """How Hypothesis shows the fixture in a failing example: briefly."""
        printer.text(repr(self))

    @property
    def token(self) -> str:
        """The admin's long-lived token."""
        return self.hub.token

    def new_log(self) -> str:
        """What the hub logged since the last call."""
        text = self.hub.log()
        new, self.log_offset = text[self.log_offset :], len(text)
        return new

    def begin_example(self) -> None:
        """Forget the log so far: a failed example's traceback is not the next one's fault."""
        self.new_log()

    def assert_healthy(self) -> None:
        """The hub lives, logged no error since the last check, and serves other clients."""
        new = self.new_log()
        assert self.hub.process.poll() is None, f"the hub died:\n{self.hub.log()[-4000:]}"
        found = BAD_LOG.search(new)
        if found is not None:
            # From the log line before the match: the message that introduces a traceback.
            start = new.rfind("\n", 0, max(new.rfind("\n", 0, found.start()), 0)) + 1
            raise AssertionError("the hub logged errors:\n" + new[start:][:3000])
        assert_observer_reads(self.hub)
        self.runner.run(self.observer.check())


def assert_observer_reads(hub: RunningHub) -> None:
    """Another client, from another address, still reads the REST API normally."""
    for path in ("/api/", "/api/states", "/api/config", "/api/services"):
        reply = exchange(hub, "GET", path, token=hub.token, source=OBSERVER)
        assert reply.status == 200, f"observer GET {path} -> {reply.status}: {reply.body[:300]!r}"
        json_body(reply)


@contextmanager
def fuzzing(hub: RunningHub) -> Iterator[FuzzHub]:
    """Attach an event loop and an observer to a running hub for the length of one test."""
    with asyncio.Runner() as runner:
        observer = runner.run(Observer.connect(hub))
        try:
            fuzz = FuzzHub(hub, runner, observer)
            fuzz.new_log()  # start-up lines are not the fuzzer's doing
            yield fuzz
        finally:
            runner.run(observer.close())
