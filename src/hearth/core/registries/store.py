"""Where registry items live: one SQLite table, items as JSON by registry and id.

Every write goes through `write()`, one transaction of the database's writer thread per batch
(durable when it returns; never on the event loop). A registry holds `lock` from its checks to
the end of its write, so that two changes awaiting the writer cannot both pass a check that only
one of them may pass (two areas of the same name).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

import orjson

if TYPE_CHECKING:
    from hearth.storage import Database

# One change: (registry, item id, the item's data, or None to delete it).
Change = tuple[str, str, Mapping[str, Any] | None]


class ItemStore(Protocol):
    """What the registries need from their storage."""

    lock: asyncio.Lock

    def load(self, registry: str) -> dict[str, dict[str, Any]]:
        """Every stored item of `registry`, by id."""
        ...

    async def write(self, changes: Iterable[Change]) -> None:
        """Apply upserts and deletions atomically."""
        ...


class MemoryStore:
    """Keeps nothing: registries of a hub without a database (tests, tools)."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()

    def load(self, registry: str) -> dict[str, dict[str, Any]]:
        """Nothing is stored."""
        return {}

    async def write(self, changes: Iterable[Change]) -> None:
        """Forget the changes."""


class RegistryStore:
    """Registry items in the hub's database (table `registry_items`)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.lock = asyncio.Lock()

    def load(self, registry: str) -> dict[str, dict[str, Any]]:
        """Every stored item of `registry`, by id; rows that are not JSON objects are skipped."""
        items: dict[str, dict[str, Any]] = {}
        for row in self._db.query(
            "SELECT item_id, data FROM registry_items WHERE registry = ? ORDER BY rowid",
            (registry,),
        ):
            data = orjson.loads(row["data"])
            if isinstance(data, dict):
                items[row["item_id"]] = data
        return items

    async def write(self, changes: Iterable[Change]) -> None:
        """Apply upserts and deletions in one transaction of the writer thread."""
        rows = [
            (registry, item_id, None if data is None else orjson.dumps(dict(data)).decode())
            for registry, item_id, data in changes
        ]

        def apply(conn: sqlite3.Connection) -> None:
            for registry, item_id, text in rows:
                if text is None:
                    conn.execute(
                        "DELETE FROM registry_items WHERE registry = ? AND item_id = ?",
                        (registry, item_id),
                    )
                else:
                    conn.execute(
                        "INSERT INTO registry_items (registry, item_id, data) VALUES (?, ?, ?) "
                        "ON CONFLICT (registry, item_id) DO UPDATE SET data = excluded.data",
                        (registry, item_id, text),
                    )

        await self._db.write(apply)
