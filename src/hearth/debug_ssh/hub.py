"""The console's place in the hub's start and stop (called by hearth.bootstrap)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from hearth.debug_ssh.context import HubParts
from hearth.debug_ssh.output import RecentLog
from hearth.http.network import local_networks

if TYPE_CHECKING:
    from aiohttp import web

    from hearth.config.schema import Config
    from hearth.debug_ssh.server import DebugConsole
    from hearth.http.server import HttpServer


async def open_console(config_dir: Path, config: Config, uid: int) -> DebugConsole | None:
    """Files checked, host key ready, ports bound; None when `debug_ssh: enabled` is false."""
    if not config.debug_ssh.enabled:
        return None
    from hearth.debug_ssh.server import DebugConsole  # asyncssh: only when the console is on

    http = config.http
    local = None if http.remote_access else local_networks(http.local_networks)
    return await DebugConsole.open(config_dir, config.debug_ssh, http.server_host, uid, local)


async def start_console(
    console: DebugConsole, app: web.Application, server: HttpServer, config_dir: Path
) -> None:
    """Serve the console with the web server's users, bans, audit log and connection cap."""
    from hearth.check.service import KEY_CHECK_LOCK
    from hearth.http.ban import KEY_BANS, KEY_USERNAME_MASK
    from hearth.http.keys import KEY_AUDIT, KEY_AUTH, KEY_HUB

    log = RecentLog()
    logging.getLogger().addHandler(log)
    parts = HubParts(
        hub=app[KEY_HUB],
        auth=app[KEY_AUTH],
        bans=app[KEY_BANS],
        audit=app[KEY_AUDIT],
        config_dir=config_dir,
        check_lock=app.get(KEY_CHECK_LOCK) or asyncio.Lock(),
        log=log,
    )
    await console.start(parts, server.connections, app.get(KEY_USERNAME_MASK))


async def stop_console(console: DebugConsole) -> None:
    """End every session, close the listeners, forget the log handler."""
    await console.stop()
    if console.parts is not None:
        logging.getLogger().removeHandler(console.parts.log)
