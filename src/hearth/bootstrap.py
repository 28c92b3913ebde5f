"""Start the hub from a configuration directory and run it until asked to stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sqlite3
from pathlib import Path

from hearth import const
from hearth.auth.manager import AuthManager
from hearth.auth.upkeep import upkeep_loop
from hearth.auth.views import KEY_ONBOARDING
from hearth.config import load_config
from hearth.config.schema import Config
from hearth.core.hub import Hub, HubConfig
from hearth.exceptions import ConfigError, StorageBusy, StorageError, StorageFull
from hearth.http.server import HttpServer, create_app
from hearth.http.tls import TlsSettings
from hearth.http.tls_reload import load_tls

_LOGGER = logging.getLogger(__name__)


def hub_config(config: Config) -> HubConfig:
    """The hub's view of the `homeassistant:` section."""
    core = config.homeassistant
    return HubConfig(
        name=core.name,
        latitude=core.latitude,
        longitude=core.longitude,
        elevation=core.elevation,
        time_zone=core.time_zone,
        unit_system=core.unit_system,
    )


async def setup_integrations(hub: Hub, config: Config) -> None:
    """Load the integrations the configuration asks for."""
    if config.demo is not None:
        from hearth.integrations import demo

        await demo.async_setup(hub, config.demo)


async def _reload_auth(auth: AuthManager) -> None:
    """Pick up users and tokens changed by the CLI in another process."""
    while True:
        await asyncio.sleep(const.AUTH_RELOAD_INTERVAL)
        try:
            await auth.reload_if_changed()
        except StorageError as err:
            _LOGGER.debug("Reload of users and tokens deferred: %s", err.message)
        except Exception:
            _LOGGER.exception("Could not reload users and tokens")


def startup_storage_error(err: StorageError | sqlite3.Error) -> ConfigError:
    """One line for a database that cannot be used at start (the CLI prints it and exits 1)."""
    if isinstance(err, StorageBusy):
        problem = "the database is locked by another process (storage busy); stop it and retry"
    elif isinstance(err, StorageFull):
        problem = "the disk is full (storage full); free some space and retry"
    elif isinstance(err, StorageError):
        problem = "the database cannot be written; check the disk and the file's permissions"
    else:
        problem = f"cannot use the database: {err}"
    return ConfigError(f"cannot start: {problem}", file=const.DATABASE_FILE)


async def run(config_dir: Path) -> None:
    """Load the configuration (raises ConfigError before binding anything), serve until SIGTERM.

    A storage error while starting (a locked database, a full disk) is a ConfigError too.
    """
    config = load_config(config_dir)
    # Certificate problems stop the hub here too, before anything is opened or bound.
    tls = load_tls(TlsSettings.from_config(config))
    try:
        auth = AuthManager.open(config_dir)
    except (StorageError, sqlite3.Error) as err:
        raise startup_storage_error(err) from None
    hub = Hub(hub_config(config))
    server: HttpServer | None = None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await setup_integrations(hub, config)
        app = create_app(hub, auth, config)
        server = HttpServer(
            app,
            config.http.server_host,
            config.http.server_port,
            tls.server_context if tls is not None else None,
        )
        await server.start()
        auth.db.log_write_failures()
        await hub.start()
        hub.create_task(_reload_auth(auth), "auth-reload")
        hub.create_task(upkeep_loop(auth, config.auth), "storage-upkeep")
        if tls is not None:
            hub.create_task(tls.watch(), "tls-reload")
        for host, port in server.bound:
            shown = f"[{host}]" if ":" in host else host
            scheme = "https" if tls is not None else "http"
            _LOGGER.info("Hearth is listening on %s://%s:%d", scheme, shown, port)
        # No user yet: print the one-time setup code for /onboarding (console and log).
        app[KEY_ONBOARDING].announce(
            server.bound, scheme="https" if tls is not None else "http", config_dir=config_dir
        )
        await stop.wait()
        _LOGGER.info("Stopping")
    except (StorageError, sqlite3.Error) as err:
        # Only start-up can get here (while serving, storage errors stay inside requests).
        raise startup_storage_error(err) from None
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        if server is not None:
            await server.stop()
        with contextlib.suppress(Exception):
            await hub.stop()
        await auth.aclose()
