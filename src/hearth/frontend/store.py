"""What the web frontend saves: per-user settings, system-wide settings, dashboards.

Reads come from memory (loaded at start); every write is one method here, one transaction of
the database's writer thread (durable when it returns; never on the event loop). Memory changes
only once the write succeeded. Callers hold `lock` from their checks (limits) to the end of the
write.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from hearth.storage import Database


class FrontendStore:
    """Tables frontend_user_data, frontend_system_data and lovelace_dashboards."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.lock = asyncio.Lock()
        self._user_data: dict[str, dict[str, Any]] = {}
        for row in db.query("SELECT user_id, key, value FROM frontend_user_data"):
            self._user_data.setdefault(row["user_id"], {})[row["key"]] = orjson.loads(row["value"])
        self._system_data = {
            row["key"]: orjson.loads(row["value"])
            for row in db.query("SELECT key, value FROM frontend_system_data")
        }
        self._dashboards = {
            row["url_path"]: orjson.loads(row["config"])
            for row in db.query("SELECT url_path, config FROM lovelace_dashboards")
        }

    # Reads.

    def user_data(self, user_id: str) -> dict[str, Any]:
        """Everything one user saved, by key."""
        return dict(self._user_data.get(user_id, {}))

    def system_data(self) -> dict[str, Any]:
        """Everything saved for all users, by key."""
        return dict(self._system_data)

    def dashboard(self, url_path: str) -> Any | None:
        """A saved dashboard configuration, or None."""
        return self._dashboards.get(url_path)

    # Writes.

    async def set_user_data(self, user_id: str, key: str, value: Any) -> None:
        """Save one key for one user (None deletes it)."""
        text = None if value is None else orjson.dumps(value).decode()

        def save(conn: sqlite3.Connection) -> None:
            if text is None:
                conn.execute(
                    "DELETE FROM frontend_user_data WHERE user_id = ? AND key = ?", (user_id, key)
                )
            else:
                conn.execute(
                    "INSERT INTO frontend_user_data (user_id, key, value) VALUES (?, ?, ?) "
                    "ON CONFLICT (user_id, key) DO UPDATE SET value = excluded.value",
                    (user_id, key, text),
                )

        await self._db.write(save)
        data = self._user_data.setdefault(user_id, {})
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value

    async def set_system_data(self, key: str, value: Any) -> None:
        """Save one system-wide key (None deletes it)."""
        text = None if value is None else orjson.dumps(value).decode()

        def save(conn: sqlite3.Connection) -> None:
            if text is None:
                conn.execute("DELETE FROM frontend_system_data WHERE key = ?", (key,))
            else:
                conn.execute(
                    "INSERT INTO frontend_system_data (key, value) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (key, text),
                )

        await self._db.write(save)
        if value is None:
            self._system_data.pop(key, None)
        else:
            self._system_data[key] = value

    async def set_dashboard(self, url_path: str, config: Any | None) -> None:
        """Save a dashboard configuration (None deletes it, back to the generated one)."""
        text = None if config is None else orjson.dumps(config).decode()
        saved_at = time.time()

        def save(conn: sqlite3.Connection) -> None:
            if text is None:
                conn.execute("DELETE FROM lovelace_dashboards WHERE url_path = ?", (url_path,))
            else:
                conn.execute(
                    "INSERT INTO lovelace_dashboards (url_path, config, saved_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (url_path) DO UPDATE SET config = excluded.config, "
                    "saved_at = excluded.saved_at",
                    (url_path, text, saved_at),
                )

        await self._db.write(save)
        if config is None:
            self._dashboards.pop(url_path, None)
        else:
            self._dashboards[url_path] = config
