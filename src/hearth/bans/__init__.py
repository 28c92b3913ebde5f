"""IP bans: policy (pure), store (SQLite), manager (the in-memory set the middleware reads)."""

from hearth.bans.manager import BanManager
from hearth.bans.policy import BanPolicy, BanRecord, client_text, stored_key

__all__ = ["BanManager", "BanPolicy", "BanRecord", "client_text", "stored_key"]
