"""SQLite storage shared by auth, bans and the audit log."""

from hearth.storage.db import Database
from hearth.storage.migrations import MIGRATIONS

__all__ = ["MIGRATIONS", "Database"]
