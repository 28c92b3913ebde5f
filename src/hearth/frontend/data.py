"""The frontend's saved settings at run time: the store plus who is watching which keys."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import orjson
from aiohttp import web

from hearth.exceptions import BadRequest, Unavailable
from hearth.frontend.store import FrontendStore

MAX_KEYS: Final = 64  # keys per user, and system-wide
MAX_VALUE_BYTES: Final = 64 * 1024  # one value, as JSON
MAX_DASHBOARD_BYTES: Final = 512 * 1024  # one dashboard configuration, as JSON

Watcher = Callable[[], None]


def check_size(value: Any, limit: int, what: str) -> None:
    """BadRequest when `value` serialises to more than `limit` bytes."""
    if len(orjson.dumps(value)) > limit:
        raise BadRequest(f"{what} is too large (at most {limit // 1024} KiB).")


class FrontendData:
    """Per-user and system-wide settings with change notification, and the dashboards."""

    def __init__(self, store: FrontendStore) -> None:
        self.store = store
        self._user_watchers: dict[str, list[Watcher]] = {}
        self._system_watchers: list[Watcher] = []

    async def set_user_data(self, user_id: str, key: str, value: Any) -> None:
        """Save one key for one user, within the limits; tells the user's watchers."""
        check_size(value, MAX_VALUE_BYTES, "The value")
        async with self.store.lock:
            current = self.store.user_data(user_id)
            if value is not None and key not in current and len(current) >= MAX_KEYS:
                raise Unavailable(f"At most {MAX_KEYS} settings can be stored per user.")
            await self.store.set_user_data(user_id, key, value)
        for watcher in list(self._user_watchers.get(user_id, ())):
            watcher()

    async def set_system_data(self, key: str, value: Any) -> None:
        """Save one system-wide key, within the limits; tells the watchers."""
        check_size(value, MAX_VALUE_BYTES, "The value")
        async with self.store.lock:
            current = self.store.system_data()
            if value is not None and key not in current and len(current) >= MAX_KEYS:
                raise Unavailable(f"At most {MAX_KEYS} system settings can be stored.")
            await self.store.set_system_data(key, value)
        for watcher in list(self._system_watchers):
            watcher()

    def watch_user(self, user_id: str, watcher: Watcher) -> Callable[[], None]:
        """Call `watcher` after each change of this user's data; returns the unsubscribe."""
        watchers = self._user_watchers.setdefault(user_id, [])
        watchers.append(watcher)

        def unwatch() -> None:
            if watcher in watchers:
                watchers.remove(watcher)

        return unwatch

    def watch_system(self, watcher: Watcher) -> Callable[[], None]:
        """Call `watcher` after each change of the system data; returns the unsubscribe."""
        self._system_watchers.append(watcher)

        def unwatch() -> None:
            if watcher in self._system_watchers:
                self._system_watchers.remove(watcher)

        return unwatch


KEY_FRONTEND_DATA: web.AppKey[FrontendData] = web.AppKey("hearth_frontend_data")
