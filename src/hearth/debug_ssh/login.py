"""Who may log in to the console: active administrators, with a key from their own file.

Public keys only: password, keyboard-interactive and host-based authentication are never
offered. A connection that offered keys and never logged in counts as one failed login toward
the IP ban (the same ban as the web login), with the same fail2ban-friendly log line.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import asyncssh

from hearth import const
from hearth.auth.models import User
from hearth.auth.username_hash import UsernameMask
from hearth.debug_ssh.authorized import AuthorizedKeys
from hearth.debug_ssh.context import ConsoleContext, HubParts
from hearth.debug_ssh.host_key import fingerprint
from hearth.debug_ssh.session import ConsoleSession
from hearth.http.ban import quote_username
from hearth.http.network import IPAddress, peer_address

_LOGGER = logging.getLogger(__name__)
FAILURE_REASON = "ssh_key_refused"


class ConsoleLogin(asyncssh.SSHServer):
    """One connection's authentication and sessions."""

    def __init__(
        self,
        parts: HubParts,
        keys: AuthorizedKeys,
        sessions: SessionCount,
        idle_timeout: float,
        mask: UsernameMask | None,
    ) -> None:
        self._parts = parts
        self._keys = keys
        self._peer: IPAddress | None = None
        self._sessions = sessions
        self._idle_timeout = idle_timeout
        self._mask = mask
        self._conn: asyncssh.SSHServerConnection | None = None
        self._user: User | None = None
        self._allowed: list[asyncssh.SSHKey] = []
        self._offered = 0
        self._tried_name: str | None = None
        self._key: asyncssh.SSHKey | None = None
        self._logged_in = False

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        self._peer = peer_address(conn.get_extra_info("peername"))

    def password_auth_supported(self) -> bool:
        return False

    def kbdint_auth_supported(self) -> bool:
        return False

    def host_based_auth_supported(self) -> bool:
        return False

    def public_key_auth_supported(self) -> bool:
        return True

    async def begin_auth(self, username: str) -> bool:
        self._tried_name = username[:64]
        user = self._parts.auth.get_user_by_username(username)
        # Same answer for an unknown user, a non-admin and an admin without keys: no hint.
        if user is not None and user.is_active and user.is_admin and user.username == username:
            self._user = user
            self._allowed = await asyncio.to_thread(self._keys.keys_of, user.username)
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        if self._logged_in:
            return False
        self._offered += 1
        if self._offered > const.DEBUG_SSH_MAX_KEY_OFFERS and self._conn is not None:
            self._conn.disconnect(asyncssh.DISC_NO_MORE_AUTH_METHODS_AVAILABLE, "Too many keys")
            return False
        if self._user is None or username != self._user.username:
            return False
        wanted = key.public_data
        for allowed in self._allowed:
            if allowed.public_data == wanted:
                self._key = allowed
                return True
        return False

    def auth_completed(self) -> None:
        self._logged_in = True
        user, key = self._user, self._key
        if user is None or key is None:  # asyncssh calls this only after a key was accepted
            return
        _LOGGER.info(
            "Debug console: %s logged in from %s with key %s",
            user.username,
            self._peer,
            fingerprint(key),
        )
        self._parts.audit.record(
            "debug_ssh_login",
            user_id=user.id,
            username=user.username,
            ip=str(self._peer),
            details={"key": fingerprint(key), "comment": (key.get_comment() or "")[:80]},
        )

    # Threat: the console as a tunnel into the home network or onto the hub's own ports.
    def connection_requested(
        self, dest_host: str, dest_port: int, orig_host: str, orig_port: int
    ) -> bool:
        raise self._refuse("port forwarding (-L, -W)")

    def server_requested(self, listen_host: str, listen_port: int) -> bool:
        self._refuse("remote port forwarding (-R)")
        return False

    def unix_connection_requested(self, dest_path: str) -> bool:
        raise self._refuse("socket forwarding")

    def unix_server_requested(self, listen_path: str) -> bool:
        self._refuse("remote socket forwarding")
        return False

    def _refuse(self, what: str) -> asyncssh.ChannelOpenError:
        user = self._user.username if self._user is not None else "?"
        _LOGGER.warning("Debug console: refused %s to %s from %s", what, user, self._peer)
        return asyncssh.ChannelOpenError(
            asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED, "The debug console forwards nothing"
        )

    def session_requested(self) -> ConsoleSession | bool:
        if not self._logged_in or self._user is None:
            return False
        if not self._sessions.take():
            _LOGGER.warning(
                "Debug console: refused a session from %s: all sessions in use", self._peer
            )
            return False
        ctx = ConsoleContext(self._parts, self._user, str(self._peer))
        return ConsoleSession(ctx, self._idle_timeout, self._session_closed(ctx))

    def _session_closed(self, ctx: ConsoleContext) -> Callable[[], None]:
        def closed() -> None:
            self._sessions.give_back()

        return closed

    def connection_lost(self, exc: Exception | None) -> None:
        if self._logged_in and self._user is not None:
            self._parts.audit.record(
                "debug_ssh_logout",
                user_id=self._user.id,
                username=self._user.username,
                ip=str(self._peer),
                details={"key": fingerprint(self._key) if self._key else None},
            )
            return
        if self._offered and self._peer is not None:
            self._count_failure(self._peer)

    def _count_failure(self, peer: IPAddress) -> None:
        """One failed login: log line (fail2ban's format), audit entry, count toward the ban."""
        name = self._tried_name
        if name and self._mask is not None:
            name = self._mask.shown(name)  # a password typed as a login name is not written
        _LOGGER.warning(
            "Login failed for user '%s' from %s: %s",
            quote_username(name),
            peer,
            FAILURE_REASON,
        )
        self._parts.audit.record(
            "login_failed",
            username=name or None,
            ip=str(peer),
            details={"reason": FAILURE_REASON, "via": "debug_ssh"},
        )
        try:
            self._parts.bans.record_failure(peer)
        except Exception:
            _LOGGER.exception("Could not count the failed login from %s", peer)


class SessionCount:
    """Console sessions open at once, hub-wide (`debug_ssh: max_sessions`)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.open = 0

    def take(self) -> bool:
        """One more session, if the cap allows."""
        if self.open >= self.limit:
            return False
        self.open += 1
        return True

    def give_back(self) -> None:
        """A session ended."""
        self.open = max(0, self.open - 1)
