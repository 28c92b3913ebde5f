"""Start the hub from a configuration directory and run it until asked to stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from hearth import const
from hearth.auth.manager import AuthManager
from hearth.auth.upkeep import upkeep_loop
from hearth.auth.views import KEY_ONBOARDING
from hearth.check.service import log_startup_summary
from hearth.config import ConfigFile, read_config
from hearth.config.lock import InstanceLock
from hearth.config.net_rules import TRUSTED_ADMIN, network_warnings
from hearth.config.permissions import check_permissions, refusal
from hearth.config.schema import Config
from hearth.core.hub import Hub, HubConfig
from hearth.core.registries import Registries, RegistryStore
from hearth.debug_ssh.hub import open_console, start_console, stop_console
from hearth.exceptions import ConfigError, StorageBusy, StorageError, StorageFull
from hearth.http.server import HttpServer, create_app
from hearth.http.tls.profiles import TlsSettings
from hearth.http.tls.reload import load_tls
from hearth.privileges import RunAs, plan
from hearth.privileges.held import hold_directory, hold_file
from hearth.recorder import KEY_RECORDER, Recorder

if TYPE_CHECKING:
    from hearth.debug_ssh.server import DebugConsole

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


async def setup_integrations(
    hub: Hub, config: Config, *, config_dir: Path | None = None, auth: AuthManager | None = None
) -> None:
    """Load the integrations the configuration asks for; sensitive services audit to `auth`."""
    if auth is not None:
        hub.entity_components.audit = auth.audit
        hub.entity_components.username_of = lambda user_id: (
            user.username if (user := auth.get_user(user_id)) is not None else None
        )
    if config.demo is not None:
        from hearth.integrations import demo

        await demo.async_setup(hub, config.demo)
    if config.mqtt is not None:
        from hearth.integrations import mqtt

        await mqtt.async_setup(
            hub,
            config.mqtt,
            config_dir=config_dir,
            local_networks=tuple(config.http.local_networks),
        )


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


def check_files(config_dir: Path, config: ConfigFile | None = None, *, uid: int = -1) -> None:
    """Refuse files other users could change (hearth.config.permissions); log the lesser ones.

    `uid` is the user the hub will serve as (-1: this process's own user).
    """
    findings = check_permissions(config_dir, config, uid=uid)
    error = refusal(findings)
    if error is not None:
        raise error
    if config is not None:
        for finding in findings:
            _LOGGER.warning("%s", finding)


def log_config_warnings(config: ConfigFile) -> None:
    """One line per risky but allowed setting, naming file, line and key."""
    for path, message in network_warnings(config.config.http):
        _LOGGER.warning("%s", config.error(path, message))


def check_trusted_admins(config: ConfigFile, auth: AuthManager) -> None:
    """With remote access on, a trusted network must not log an administrator in."""
    if not config.config.http.remote_access:
        return
    for index, entry in enumerate(config.config.auth.trusted_networks):
        for position, username in enumerate(entry.users):
            user = auth.get_user_by_username(username)
            if user is not None and user.is_admin:
                path = ("auth", "trusted_networks", index, "users", position)
                raise config.error(path, TRUSTED_ADMIN)


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


def prepare_privileges(run_as: RunAs | None) -> RunAs:
    """Refuse root without --user or --allow-root; set what every later thread must inherit
    (`hearth run` does this before it starts its logging thread; a second call changes nothing)."""
    run_as = run_as if run_as is not None else plan(None, allow_root=False)
    run_as.prepare()
    return run_as


def leave_root(run_as: RunAs | None, config_dir: Path, config: Config) -> None:
    """Ports bound, files open: switch to the hub's own user (hearth.privileges)."""
    if run_as is None:
        return
    tls = TlsSettings.from_config(config, config_dir)
    # The certificate files are read again on renewal: the new user must be able to. ACME's
    # own files may not exist yet (the hub orders them once it serves); they live in the
    # configuration directory, which the switch gives to the new user. The files an order
    # reads (CA bundle, DNS hook) are the owner's: they must be readable like a certificate.
    acme = config.http.acme
    ordering = () if acme is None else (acme.ca_bundle, acme.dns_hook)
    readable = (*(tls.owner_files if tls is not None else ()), *filter(None, ordering))
    run_as.leave_root(config_dir, readable)


def hold_for_acme(
    config_dir: Path, config: Config, run_as: RunAs | None
) -> tuple[Path, Path | None]:
    """Where ACME's files are, and the public CAs' bundle unless ca_bundle replaces it: as they
    are, or, for a hub about to give root up, through descriptors opened now (/proc/self/fd/N,
    hearth.privileges.held): its checkout and virtual environment may be closed to it."""
    acme = config.http.acme
    if acme is None or run_as is None or run_as.target is None:
        return config_dir, None
    from hearth.acme.order import public_trust  # the acme library: only for an acme: hub

    trust = None
    if acme.ca_bundle is None:
        # None: no such bundle here (a distribution's requests); requests finds its own.
        with contextlib.suppress(OSError):
            trust = hold_file(public_trust())
    return hold_directory(config_dir), trust


async def run(config_dir: Path, run_as: RunAs | None = None) -> None:
    """Check the configuration and its files, hold the directory's lock, serve until SIGTERM."""
    run_as = prepare_privileges(run_as)
    uid = run_as.check_uid
    check_files(config_dir, uid=uid)  # before reading: a file others can write is not worth it
    config = read_config(config_dir)
    check_files(config_dir, config, uid=uid)
    log_config_warnings(config)
    lock = InstanceLock.acquire(config_dir)
    try:
        await serve(config_dir, config, run_as)
    except ConfigError as err:
        raise config.located(err) from None
    finally:
        lock.release()


async def serve(config_dir: Path, config_file: ConfigFile, run_as: RunAs | None = None) -> None:
    """Open the store and the listeners for a checked configuration; serve until SIGTERM."""
    config = config_file.config
    # Certificate problems stop the hub here too, before anything is opened or bound.
    # A hub that gives root up may no longer reach the directory by path (a parent closed to
    # its user): ACME's files, read and written long after start, go through a held descriptor.
    files_dir, trust = hold_for_acme(config_dir, config, run_as)
    tls = load_tls(TlsSettings.from_config(config, files_dir))
    try:
        auth = AuthManager.open(config_dir)
    except (StorageError, sqlite3.Error) as err:
        raise startup_storage_error(err) from None
    hub = Hub(hub_config(config))
    server: HttpServer | None = None
    recorder: Recorder | None = None
    console: DebugConsole | None = None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        check_trusted_admins(config_file, auth)
        hub.registries = Registries(hub.bus, RegistryStore(auth.db))
        if config.recorder.enabled:  # before the integrations: their first states are history
            recorder = Recorder(hub, config_dir, config.recorder)
            await recorder.start()
        await setup_integrations(hub, config, config_dir=config_dir, auth=auth)
        app = create_app(hub, auth, config, tls)
        if recorder is not None:
            app[KEY_RECORDER] = recorder
        acme = None
        if config.http.acme is not None:  # the acme library is imported only for an acme: hub
            from hearth.acme.service import setup as setup_acme

            acme = setup_acme(app, files_dir, config.http, tls, trust=trust)
        server = HttpServer(
            app,
            config.http.server_host,
            config.http.server_port,
            tls.server_context if tls is not None else None,
        )
        await server.start(serve=False)  # every address bound, nothing accepted yet
        # The SSH debug console's key files are checked and its ports bound as root too.
        uid = run_as.check_uid if run_as is not None else -1
        console = await open_console(config_dir, config, os.geteuid() if uid == -1 else uid)
        leave_root(run_as, config_dir, config)
        await server.serve()
        if console is not None:
            await start_console(console, app, server, config_dir)
        auth.db.log_write_failures()
        await hub.start()
        hub.create_task(_reload_auth(auth), "auth-reload")
        hub.create_task(upkeep_loop(auth, config.auth), "storage-upkeep")
        if tls is not None:
            hub.create_task(tls.watch(), "tls-reload")
        if acme is not None:
            hub.create_task(acme.run(), "acme-renewal")
        for host, port in server.bound:
            shown = f"[{host}]" if ":" in host else host
            scheme = "https" if tls is not None else "http"
            _LOGGER.info("Hearth is listening on %s://%s:%d", scheme, shown, port)
        # One line about the fast checks of `hearth check`, never more (hearth.check.service).
        hub.create_task(log_startup_summary(config_dir), "check-summary")
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
        if console is not None:
            await stop_console(console)
        if server is not None:
            await server.stop()
        with contextlib.suppress(Exception):
            await hub.stop()
        if recorder is not None:  # after the hub: its last changes and its stop are history
            await recorder.stop()
        await auth.aclose()
