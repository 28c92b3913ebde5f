"""What a console session works with: the running hub's parts, the user and their address."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hearth.auth.manager import AuthManager
    from hearth.auth.models import User
    from hearth.bans.manager import BanManager
    from hearth.core.hub import Hub
    from hearth.debug_ssh.output import RecentLog
    from hearth.storage.audit import AuditLog
    from hearth.storage.db import Database


@dataclass(frozen=True, slots=True)
class HubParts:
    """The running hub's parts the console uses (the same instances the web API uses)."""

    hub: Hub
    auth: AuthManager
    bans: BanManager
    audit: AuditLog
    config_dir: Path
    check_lock: asyncio.Lock
    log: RecentLog


@dataclass(frozen=True, slots=True)
class ConsoleContext:
    """One session's view: the hub's parts, who is logged in, and from where."""

    parts: HubParts
    user: User
    ip: str

    @property
    def hub(self) -> Hub:
        """The hub's states, services and bus."""
        return self.parts.hub

    @property
    def auth(self) -> AuthManager:
        """Users and tokens."""
        return self.parts.auth

    @property
    def bans(self) -> BanManager:
        """The IP bans the web server enforces."""
        return self.parts.bans

    @property
    def db(self) -> Database:
        """The store."""
        return self.parts.auth.db

    @property
    def config_dir(self) -> Path:
        """Where `check` looks."""
        return self.parts.config_dir

    @property
    def check_lock(self) -> asyncio.Lock:
        """One check run at a time per hub."""
        return self.parts.check_lock

    @property
    def log(self) -> RecentLog:
        """The hub's last log lines."""
        return self.parts.log
