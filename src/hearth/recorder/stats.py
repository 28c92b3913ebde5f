"""What the history database holds, for `hearth recorder stats` (read-only)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, Final

from hearth.recorder import space
from hearth.recorder.purge import last_purge
from hearth.recorder.status import read_status

TOP_ENTITIES: Final = 10


def collect(conn: sqlite3.Connection, path: Path, status_path: Path) -> dict[str, Any]:
    """Sizes, row counts, the period covered and the entities with the most rows."""
    counts = {
        table: int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608
        for table in ("states", "attributes", "entities", "contexts", "events")
    }
    oldest, newest = conn.execute("SELECT min(updated), max(updated) FROM states").fetchone()
    top = conn.execute(
        "SELECT entities.entity_id, counts.rows FROM "
        "(SELECT entity, count(*) AS rows FROM states GROUP BY entity) AS counts "
        "JOIN entities ON entities.id = counts.entity ORDER BY counts.rows DESC LIMIT ?",
        (TOP_ENTITIES,),
    ).fetchall()
    try:
        found = read_status(status_path)
    except PermissionError:
        found = None
    return {
        "database": path.name,
        "bytes": space.files_size(path),
        "free_bytes": space.free_bytes(path),
        "rows": counts,
        "oldest": oldest,
        "newest": newest,
        "last_purge": last_purge(conn),
        "status": None if found is None else {"state": found.state, "reason": found.reason},
        "busiest": [{"entity_id": entity_id, "states": rows} for entity_id, rows in top],
    }
