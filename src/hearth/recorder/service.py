"""The recorder as the hub sees it: listens on the bus, queues for the writer, reads history.

Everything that touches SQLite runs in the writer thread or the reader thread; the listeners
here only filter and append to the writer's queue, so the hub never waits for the disk.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeVar

from hearth import const
from hearth.core.events import (
    EVENT_CALL_SERVICE,
    EVENT_HUB_START,
    EVENT_HUB_STOP,
    EVENT_STATE_CHANGED,
    Event,
)
from hearth.recorder import status
from hearth.recorder.filters import filters_for
from hearth.recorder.items import EVENT_LOGBOOK_ENTRY, change_of, fired_of, snapshot_of
from hearth.recorder.reader import Reader
from hearth.recorder.writer import Writer, WriterSettings

if TYPE_CHECKING:
    import sqlite3

    from hearth.config.recorder_fields import RecorderSection
    from hearth.core.hub import Hub

_LOGGER = logging.getLogger(__name__)
T = TypeVar("T")

COMPONENTS: Final = ("recorder", "history", "logbook")
STOP_TIMEOUT: Final = 10.0  # seconds for the last batch and closing the database


class Recorder:
    """Records state changes (and the events the logbook needs) in the history database."""

    def __init__(self, hub: Hub, config_dir: Path, section: RecorderSection) -> None:
        self.hub = hub
        self.path = config_dir / const.RECORDER_DATABASE_FILE
        self.section = section
        self.recorded, self._attributes = filters_for(section)
        self._status = status.StatusFile(config_dir / const.RECORDER_STATUS_FILE)
        settings = WriterSettings(
            keep_days=section.purge_keep_days,
            commit_interval=section.commit_interval,
            retry_interval=section.retry_interval,
            time_zone=hub.config.time_zone,
        )
        self.writer = Writer(self.path, self._attributes, settings, self._status, self._resumed)
        self.reader = Reader(self.path)
        self._unsubscribes: list[Callable[[], None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        """Open the files, start the writer and listen; call before the integrations write
        their states, and before the hub gives root up (hearth.privileges): every file and
        connection is opened here, by path, and kept, as the hub's user may not reach the
        configuration directory by path afterwards."""
        self._loop = asyncio.get_running_loop()
        await asyncio.to_thread(self._open)
        bus = self.hub.bus
        self._unsubscribes = [
            bus.listen(EVENT_STATE_CHANGED, self._state_changed),
            *(
                bus.listen(event_type, self._other_event)
                for event_type in (
                    EVENT_CALL_SERVICE,
                    EVENT_HUB_START,
                    EVENT_HUB_STOP,
                    EVENT_LOGBOOK_ENTRY,
                )
            ),
        ]
        self.hub.components.update(COMPONENTS)

    def _open(self) -> None:
        try:
            self._status.open()
        except OSError as err:
            _LOGGER.warning("Cannot write %s: %s", self._status.path.name, err.strerror or err)
        self.writer.start()
        self.reader.open()  # after the writer: it creates and migrates the database

    async def stop(self) -> None:
        """Stop listening, write what is queued, close the database (bounded in time)."""
        while self._unsubscribes:
            self._unsubscribes.pop()()
        # Readers first: the writer's connection, closed last, then folds the WAL into the file.
        await asyncio.to_thread(self.reader.close)
        await asyncio.to_thread(self.writer.stop, STOP_TIMEOUT)
        self._status.close()

    def _state_changed(self, event: Event) -> None:
        if self.recorded(event.data["entity_id"]):
            self.writer.put(change_of(event, self._attributes))

    def _other_event(self, event: Event) -> None:
        self.writer.put(fired_of(event))

    def _resumed(self) -> None:
        """From the writer thread: recording resumed; record every entity's current state."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._snapshot)

    def _snapshot(self) -> None:
        for state in self.hub.states.all():
            if self.recorded(state.entity_id):
                self.writer.put(snapshot_of(state))

    async def flush(self) -> None:
        """Wait until everything queued so far is committed (or cannot be)."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()

        def release() -> None:
            if not loop.is_closed():
                loop.call_soon_threadsafe(_resolve, done)

        self.writer.barrier(release)
        await done

    async def settle(self, end: float | None) -> None:
        """Before reading up to `end` (None: now): commit what waits, if it may fall inside."""
        if self.writer.backlog and (
            end is None or end >= time.time() - self.section.commit_interval
        ):
            await self.flush()

    async def read(self, query: Callable[[sqlite3.Connection], T], empty: Callable[[], T]) -> T:
        """Run a read of the history database in the reader thread."""
        return await self.reader.run(query, empty)

    def info(self) -> dict[str, Any]:
        """recorder/info, in Home Assistant's shape."""
        writer = self.writer
        return {
            "backlog": writer.backlog,
            "max_backlog": writer.settings.max_backlog,
            "migration_in_progress": False,
            "migration_is_live": False,
            "recording": writer.recording,
            "thread_running": writer.running,
        }


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
