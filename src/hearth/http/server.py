"""The aiohttp application and its listeners. The one place where the order of the checks is set."""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import socket
import ssl
from collections.abc import Callable
from typing import TYPE_CHECKING

from aiohttp import web

from hearth import const
from hearth.auth.mfa.manager import MfaManager
from hearth.auth.passkeys.manager import PasskeyManager
from hearth.auth.throttle import AccountThrottle
from hearth.bans import allow
from hearth.certs.validate import dns_names
from hearth.exceptions import ConfigError
from hearth.http import acme_challenge
from hearth.http.auth import check_auth
from hearth.http.ban import ban_check, open_bans, setup_ban
from hearth.http.cors import cors_preflight, setup_cors
from hearth.http.csrf import csrf_check
from hearth.http.fd_limit import connection_cap, quiet_accept_errors, raise_open_file_limit
from hearth.http.forwarded import forwarded_relay
from hearth.http.gate import request_gate
from hearth.http.headers import setup_headers
from hearth.http.host_check import KEY_ALLOWED_HOSTS, AllowedHosts, host_check, no_certificate_names
from hearth.http.keys import KEY_AUDIT, KEY_AUTH, KEY_CONFIG, KEY_HUB, KEY_MFA, KEY_PASSKEYS
from hearth.http.lowlevel import install as harden_aiohttp
from hearth.http.network import parse_networks
from hearth.http.network_guard import check_remote_access, network_guard
from hearth.http.quiet import install as quiet_malformed_requests
from hearth.http.security_filter import check_target
from hearth.http.slow_clients import ConnectionCounter, GuardedAppRunner, SlowClientLimits
from hearth.http.tls.listener import TlsSite
from hearth.storage.audit import AuditLog

if TYPE_CHECKING:
    from hearth.auth.manager import AuthManager
    from hearth.config.schema import Config
    from hearth.core.hub import Hub
    from hearth.http.tls.reload import CertificateReloader

_LOGGER = logging.getLogger(__name__)


def create_app(
    hub: Hub, auth: AuthManager, config: Config, tls: CertificateReloader | None = None
) -> web.Application:
    """Build the application: state, the gate, routes."""
    from hearth import api, frontend, websocket
    from hearth.auth import views as auth_views

    # The request path: one gate (hearth.http.gate) runs these checks in this order. Each may
    # refuse the request; nothing after a refusal runs, so the cheap checks that need no
    # credentials come first.
    # 0. errors: the gate turns everything below, views included, into a JSON error, never a
    #    traceback.
    # 1. security_filter: malformed targets (control bytes, encoded traversal) never reach routing.
    # 2. forwarded: establish the real client IP (trusted proxies only) for everything after it.
    # 3. host_check: right after forwarded, because behind a proxy the host to check is the one
    #    the proxy reports; before everything else, because a foreign Host means DNS rebinding
    #    (nothing may be served to it) and because pages build links from the Host.
    # 4. network_guard: outside the local networks, nothing is served unless remote access is on.
    # 5. ban: a banned client is refused before any credential is looked at.
    # 6. cors (only with cors_allowed_origins): preflights carry no token, so they are answered
    #    here, after the network checks and before auth.
    # 7. csrf: before auth and the login views, so that a request another site started can never
    #    check a password or count as a failure; after cors, which answers the preflights.
    # 8. auth: no view runs without a valid token unless its route is marked public.
    # Security headers are added by a response-prepare signal, so they reach every response that
    # passes through the application, including the refusals above.
    # Slow clients and the connection caps are handled below the application, in the request
    # handler that HttpServer installs (hearth.http.slow_clients).
    check_remote_access(config)
    bans = open_bans(auth.db, config.http)
    allow.apply(bans, config.http, auth.db)  # the entries added in the Security Center
    hosts = AllowedHosts.from_config(config.http, _certificate_names(tls))
    checks = [
        host_check(hosts),
        network_guard(config),
        ban_check(bans),
        cors_preflight(config.http),
        csrf_check(config.http),
        check_auth,
    ]
    gate = request_gate(
        target=check_target,
        forwarded=forwarded_relay(config.http),
        checks=[check for check in checks if check is not None],
    )
    app = web.Application(middlewares=[gate], client_max_size=const.MAX_REQUEST_BODY)
    harden_aiohttp()
    quiet_malformed_requests()
    app[KEY_HUB] = hub
    app[KEY_AUTH] = auth
    app[KEY_CONFIG] = config
    app[KEY_ALLOWED_HOSTS] = hosts
    # One audit log and one MFA manager per hub: pending MFA setups live in this instance.
    app[KEY_AUDIT] = AuditLog(auth.db)
    app[KEY_MFA] = MfaManager(auth.db, audit=app[KEY_AUDIT])
    app[KEY_PASSKEYS] = PasskeyManager(auth.db, audit=app[KEY_AUDIT])
    setup_ban(app, bans, AccountThrottle(audit=app[KEY_AUDIT]))
    setup_headers(app, config.http)
    setup_cors(app, config.http.cors_allowed_origins)
    api.setup(app)
    websocket.setup(app)
    # After the ban, MFA and throttle state above: the login flow uses all three.
    auth_views.setup(app)
    frontend.setup(app)
    acme_challenge.setup(app)
    return app


def _certificate_names(tls: CertificateReloader | None) -> Callable[[], list[str]]:
    """The DNS names of the certificate being served, read again only after a renewal."""
    if tls is None:
        return no_certificate_names
    seen: list[tuple[object, list[str]]] = []

    def names() -> list[str]:
        pair = tls.pair  # None while an ACME hub waits for its first certificate
        if not seen or seen[0][0] is not pair:
            seen[:] = [(pair, dns_names(pair.certificate) if pair is not None else [])]
        return seen[0][1]

    return names


class _BoundTCPSite(web.TCPSite):
    """A TCPSite that binds in start() and accepts only once its server's start_serving() runs."""

    async def start(self) -> None:
        """Bind, without accepting yet."""
        await web.BaseSite.start(self)  # registers the site with its runner
        server = self._runner.server
        if server is None:
            raise RuntimeError("the runner is not set up")
        self._server = await asyncio.get_running_loop().create_server(
            server,
            self._host,
            self._port,
            backlog=self._backlog,
            reuse_address=self._reuse_address,
            start_serving=False,
        )


class HttpServer:
    """Listens on the configured hosts and port with bounded request sizes."""

    def __init__(
        self,
        app: web.Application,
        hosts: list[str],
        port: int,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._app = app
        self._hosts = hosts
        self._port = port
        self._ssl_context = ssl_context  # HTTPS only when set (hearth.http.tls.reload)
        self._runner: web.AppRunner | None = None
        self._sites: list[web.BaseSite] = []
        self.bound: list[tuple[str, int]] = []

    async def start(self, *, serve: bool = True) -> None:
        """Bind every host; a host that cannot be bound is a clear error (ConfigError).

        With serve=False nothing is accepted until serve(): a hub started as root binds every
        address, gives root up, and only then serves (hearth.privileges).
        """
        config = self._app.get(KEY_CONFIG)
        # Threat: descriptor exhaustion. Use every descriptor the system allows, and keep the
        # connections well below that, so the hub can still open its database and log.
        open_files = raise_open_file_limit()
        limits = SlowClientLimits(total_connections=connection_cap(open_files))
        _LOGGER.debug(
            "Open-file limit %d: at most %d connections", open_files, limits.total_connections
        )
        quiet_accept_errors(asyncio.get_running_loop())
        runner = GuardedAppRunner(
            self._app,
            limits=limits,
            # A trusted proxy carries many clients' connections: it is exempt from the cap.
            exempt=parse_networks(config.http.trusted_proxies if config is not None else ()),
            handle_signals=False,
            access_log=None,
            keepalive_timeout=const.KEEPALIVE_TIMEOUT,
            shutdown_timeout=const.SHUTDOWN_TIMEOUT,
            max_line_size=const.MAX_REQUEST_LINE,
            max_field_size=const.MAX_HEADER_FIELD,
            max_headers=const.MAX_HEADERS,
        )
        await runner.setup()
        self._runner = runner
        defaults = list(const.DEFAULT_SERVER_HOSTS)
        allowed = self._app.get(KEY_ALLOWED_HOSTS)
        try:
            for host in self._hosts:
                site: web.BaseSite
                if self._ssl_context is not None:
                    # Plain HTTP sent to the TLS port gets a clear error (hearth.http.tls.listener).
                    site = TlsSite(
                        runner,
                        host,
                        self._port,
                        self._ssl_context,
                        start_serving=serve,
                        host_allowed=None if allowed is None else allowed.allows,
                    )
                elif serve:
                    site = web.TCPSite(runner, host, self._port, reuse_address=True)
                else:
                    site = _BoundTCPSite(runner, host, self._port, reuse_address=True)
                try:
                    await site.start()
                except OSError as err:
                    if self._hosts == defaults and host == "::" and _no_ipv6(err):
                        _LOGGER.warning("IPv6 is not available here; listening on IPv4 only")
                        continue
                    raise _listen_error(err, host, self._port) from None
                self._sites.append(site)
                server = site._server
                if server is not None:
                    for sock in getattr(server, "sockets", ()):
                        address = sock.getsockname()
                        self.bound.append((str(address[0]), int(address[1])))
        except BaseException:
            await self.stop()
            raise
        if allowed is not None:
            allowed.add_bound(self.bound)

    @property
    def connections(self) -> ConnectionCounter | None:
        """Open connections per address, once started (the debug console shares the cap)."""
        return self._runner.counter if isinstance(self._runner, GuardedAppRunner) else None

    async def serve(self) -> None:
        """Start accepting on every site bound by start(serve=False)."""
        for site in self._sites:
            if site._server is not None:
                await site._server.start_serving()

    async def stop(self) -> None:
        """Stop listening and finish open requests (bounded by the shutdown timeout)."""
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()


def _listen_error(err: OSError, host: str, port: int) -> ConfigError:
    """A bind failure as a config error under the key to change, naming the address once."""
    if isinstance(err, socket.gaierror) or not err.errno:
        reason = err.strerror or str(err)  # a name that does not resolve: no address to repeat
    else:
        # Not err.strerror: asyncio's message repeats the address and port.
        reason = os.strerror(err.errno)
    if err.errno == errno.EADDRINUSE:
        return ConfigError(
            f"port {port} is already in use on {host} (by another program, or another hub); "
            "stop it or choose another port",
            file=const.CONFIG_FILE,
            key="http.server_port",
        )
    if err.errno == errno.EACCES and port < 1024:
        return ConfigError(
            f"no permission to listen on port {port} (ports below 1024 need privileges); "
            "choose a port from 1024 up",
            file=const.CONFIG_FILE,
            key="http.server_port",
        )
    return ConfigError(
        f"cannot listen on {host} port {port}: {reason.lower()}",
        file=const.CONFIG_FILE,
        key="http.server_host",
    )


def _no_ipv6(err: OSError) -> bool:
    return err.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT)
