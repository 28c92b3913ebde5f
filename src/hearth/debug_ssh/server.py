"""The console's listener: bound before the hub gives root up, serving after.

Every connection passes a gate before any SSH byte is sent: a banned address is dropped at
once, and each connection takes a slot of the web server's per-address connection cap
(hearth.http.connections), so SSH and HTTP together stay under it.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh

from hearth import const
from hearth.auth.username_hash import UsernameMask
from hearth.config.debug_ssh_fields import DebugSshSection
from hearth.debug_ssh import algorithms
from hearth.debug_ssh.authorized import AuthorizedKeys
from hearth.debug_ssh.context import HubParts
from hearth.debug_ssh.host_key import fingerprint, load_or_create
from hearth.debug_ssh.login import ConsoleLogin, SessionCount
from hearth.debug_ssh.rate import ConnectRate
from hearth.exceptions import ConfigError
from hearth.http.connections import ConnectionCounter, Slot, TooManyConnections, log_refusal
from hearth.http.log_limit import LogLimiter
from hearth.http.network import IPAddress, NetworkSet, peer_address

_LOGGER = logging.getLogger(__name__)


def _listen_error(err: OSError, host: str, port: int) -> ConfigError:
    if err.errno == errno.EADDRINUSE:
        problem = (
            f"port {port} is already in use on {host}; stop the other program or choose "
            "another port"
        )
    elif err.errno == errno.EACCES:
        problem = f"no permission to listen on port {port} on {host}"
    else:
        problem = f"cannot listen on {host} port {port}: {(err.strerror or str(err)).lower()}"
    return ConfigError(problem, file=const.CONFIG_FILE, key="debug_ssh.port")


def bind(hosts: list[str], port: int, *, defaults: bool) -> list[socket.socket]:
    """Listening sockets for every host (ConfigError when one cannot be bound)."""
    sockets: list[socket.socket] = []
    try:
        for host in hosts:
            try:
                infos = socket.getaddrinfo(
                    host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
                )
            except socket.gaierror as err:
                raise ConfigError(
                    f"cannot listen on {host}: {err.strerror}",
                    file=const.CONFIG_FILE,
                    key="debug_ssh.server_host",
                ) from None
            for family, kind, proto, _name, address in infos[:1]:
                sock = socket.socket(family, kind, proto)
                try:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    if family == socket.AF_INET6:
                        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                    sock.bind(address)
                    sock.listen(100)
                    sock.setblocking(False)
                except OSError as err:
                    sock.close()
                    if (
                        defaults
                        and family == socket.AF_INET6
                        and err.errno
                        in (
                            errno.EADDRNOTAVAIL,
                            errno.EAFNOSUPPORT,
                        )
                    ):
                        continue
                    raise _listen_error(err, host, port) from None
                sockets.append(sock)
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets


@dataclass
class _Gate(asyncio.Protocol):
    """Drops banned addresses and connections over the cap; hands the rest to asyncssh."""

    console: DebugConsole
    inner: asyncssh.SSHServerConnection | None = None
    slot: Slot | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        console = self.console
        parts, options = console.parts, console.options
        if parts is None or options is None or not isinstance(transport, asyncio.Transport):
            transport.close()
            return
        peer = peer_address(transport.get_extra_info("peername"))
        if console.local is not None and peer not in console.local:
            # Threat: a port forwarded by mistake. As the web server, local networks only
            # unless http: remote_access is on.
            if console.warned.allow(("remote", peer)):
                _LOGGER.warning(
                    "Debug console: refused %s: not on a local network and http.remote_access "
                    "is off",
                    peer,
                )
            transport.abort()
            return
        if parts.bans.is_banned(peer):
            # Threat: a banned address trying keys (or a scanner) gets nothing, not even a banner.
            _LOGGER.debug("Debug console: refused %s (banned)", peer)
            transport.abort()
            return
        if not console.rate.allow(console.counter.key(peer)):
            console.warned_rate(peer)
            transport.abort()
            return
        try:
            self.slot = console.counter.acquire(peer)
        except TooManyConnections as refused:
            log_refusal(console.counter, peer, refused)
            transport.abort()
            return
        console.gates.add(self)
        loop = asyncio.get_running_loop()
        self.inner = asyncssh.SSHServerConnection(loop, options, None, None)
        self.inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self.inner is not None:
            self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        if self.inner is not None:
            self.inner.eof_received()
        return False

    def pause_writing(self) -> None:
        if self.inner is not None:
            self.inner.pause_writing()

    def resume_writing(self) -> None:
        if self.inner is not None:
            self.inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.slot is not None:
            self.slot.release()
        self.console.gates.discard(self)
        if self.inner is not None:
            self.inner.connection_lost(exc)

    __hash__ = object.__hash__


@dataclass(eq=False)
class DebugConsole:
    """The debug console of one hub: files checked, key loaded and ports bound before the drop."""

    settings: DebugSshSection
    host_key: asyncssh.SSHKey
    keys: AuthorizedKeys
    sockets: list[socket.socket]
    parts: HubParts | None = None
    counter: ConnectionCounter = field(
        default_factory=lambda: ConnectionCounter(const.MAX_CONNECTIONS_PER_IP)
    )
    options: asyncssh.SSHServerConnectionOptions | None = None
    gates: set[_Gate] = field(default_factory=set)
    servers: list[asyncio.AbstractServer] = field(default_factory=list)
    sessions: SessionCount = field(default_factory=lambda: SessionCount(1))
    rate: ConnectRate = field(default_factory=ConnectRate)
    local: NetworkSet | None = None  # who may connect; None: every address
    warned: LogLimiter = field(default_factory=LogLimiter)
    mask: UsernameMask | None = None

    @classmethod
    async def open(
        cls,
        config_dir: Path,
        settings: DebugSshSection,
        http_hosts: list[str],
        uid: int,
        local: NetworkSet | None = None,
    ) -> DebugConsole:
        """Check the key files (ConfigError: one line), load or create the host key, bind.

        All of it before the hub gives root up; nothing is accepted until start().
        """
        host_key = load_or_create(config_dir, uid)
        keys = AuthorizedKeys.open(config_dir, uid)
        try:
            hosts = settings.hosts(http_hosts)
            defaults = settings.server_host is None and hosts == list(const.DEFAULT_SERVER_HOSTS)
            sockets = bind(hosts, settings.port, defaults=defaults)
        except BaseException:
            keys.close()
            raise
        console = cls(settings, host_key, keys, sockets, local=local)
        console.options = await console._options()
        return console

    async def _options(self) -> asyncssh.SSHServerConnectionOptions:
        logging.getLogger("asyncssh").setLevel(logging.WARNING)
        options: asyncssh.SSHServerConnectionOptions = (
            await asyncssh.SSHServerConnectionOptions.construct(
                server_factory=self._login,
                server_host_keys=[self.host_key],
                server_version=algorithms.SERVER_VERSION,
                kex_algs=list(algorithms.KEX),
                encryption_algs=list(algorithms.CIPHERS),
                mac_algs=list(algorithms.MACS),
                compression_algs=list(algorithms.COMPRESSION),
                signature_algs=list(algorithms.CLIENT_SIGNATURES),
                login_timeout=const.DEBUG_SSH_LOGIN_TIMEOUT,
                allow_pty=True,
                agent_forwarding=False,
                x11_forwarding=False,
                line_editor=True,
                max_line_length=const.DEBUG_SSH_MAX_LINE,
                rdns_lookup=False,
                gss_host=None,
                gss_kex=False,
                gss_auth=False,
                host_based_auth=False,
                password_auth=False,
                kbdint_auth=False,
                public_key_auth=True,
            )
        )
        return options

    def _login(self) -> ConsoleLogin:
        if self.parts is None:
            raise RuntimeError("the debug console is not started")
        return ConsoleLogin(
            self.parts, self.keys, self.sessions, self.settings.idle_timeout, self.mask
        )

    def warned_rate(self, peer: IPAddress) -> None:
        """One warning per address and interval about connections opened too fast."""
        if self.warned.allow(peer):
            _LOGGER.warning("Debug console: refused connections from %s: opened too fast", peer)

    @property
    def fingerprint(self) -> str:
        """The host key's SHA-256 fingerprint."""
        return fingerprint(self.host_key)

    @property
    def bound(self) -> list[tuple[str, int]]:
        """(host, port) of every listening socket."""
        return [(str(s.getsockname()[0]), int(s.getsockname()[1])) for s in self.sockets]

    async def start(
        self, parts: HubParts, counter: ConnectionCounter | None, mask: UsernameMask | None
    ) -> None:
        """Accept connections (after the hub gave root up)."""
        self.parts = parts
        self.mask = mask
        self.sessions = SessionCount(self.settings.max_sessions)
        if counter is not None:
            self.counter = counter
        loop = asyncio.get_running_loop()
        for sock in self.sockets:
            server = await loop.create_server(lambda: _Gate(self), sock=sock)
            self.servers.append(server)
        _LOGGER.info("Debug console host key fingerprint: %s", self.fingerprint)
        for host, port in self.bound:
            shown = f"[{host}]" if ":" in host else host
            _LOGGER.info("Debug console (SSH, keys only) is listening on %s port %d", shown, port)

    async def stop(self) -> None:
        """Stop listening and end every session."""
        for server in self.servers:
            server.close()
        for gate in list(self.gates):
            if gate.inner is not None:
                gate.inner.abort()
        for server in self.servers:
            await server.wait_closed()
        for sock in self.sockets:
            sock.close()
        self.keys.close()
