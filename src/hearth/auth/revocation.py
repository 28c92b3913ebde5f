"""Ending sessions: revocation (one, a user's, with a password change), rotation with reuse
detection, and pruning of dead tokens and old tombstones.

Each revocation is one durable transaction of the writer thread with its audit entries; the
token leaves tombstones (its id and its secrets' hashes), and the caches and listeners learn of
it only once it is committed.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable
from functools import partial
from typing import Final

from hearth import const
from hearth.auth.models import RefreshToken, TokenType, User
from hearth.auth.sessions import Sessions
from hearth.auth.tokens.codec import hash_secret, new_secret
from hearth.auth.tokens.store import bury_token, prune_tombstones, rotate_token
from hearth.exceptions import InvalidAuth
from hearth.storage.audit import AuditRow, audit_row, insert_audit

_LOGGER = logging.getLogger(__name__)

PRUNE_CHUNK: Final = 500  # tokens deleted per transaction when pruning


class Revocations(Sessions):
    """Revoking and rotating refresh tokens, on top of the session caches."""

    async def rotate_refresh_token(self, token: RefreshToken, secret: str) -> str:
        """Replace the token's secret with a new one (returned once); the old one stops working
        and using it again later revokes the token. InvalidAuth if another use won the race."""
        new = new_secret()
        rotated = await self._db.write(
            partial(
                rotate_token,
                token_id=token.id,
                old_hash=hash_secret(secret),
                new_hash=hash_secret(new),
                at=self._now(),
            )
        )
        if not rotated:
            # Two uses of the same secret at once: one of them is not the legitimate client.
            await self._reuse_detected(token.id)
            raise InvalidAuth("The refresh token is no longer valid.")
        return new

    async def _reuse_detected(self, token_id: str) -> None:
        """A rotated-out secret came back: someone copied it. End the whole session."""
        token = self._cached_token(token_id)
        user = None if token is None else self._users.get(token.user_id)
        _LOGGER.warning(
            "Refresh token reuse detected for token %s of %s; revoking it",
            token_id,
            user.username if user is not None else "?",
        )
        reuse = audit_row(
            "token_reuse_detected",
            user_id=None if token is None else token.user_id,
            username=None if user is None else user.username,
            details={"token_id": token_id},
        )
        await self._revoke([token_id], extra=reuse)

    async def remove_refresh_token(self, token_id: str, *, ip: str | None = None) -> bool:
        """Revoke a refresh token and every access token issued under it."""
        if not isinstance(token_id, str):
            return False
        return bool(await self._revoke([token_id], ip=ip))

    async def remove_user_tokens(
        self,
        user_id: str,
        *,
        token_type: TokenType | None = None,
        except_id: str | None = None,
        ip: str | None = None,
    ) -> int:
        """Revoke a user's tokens (of one type, or all), except `except_id`; returns how many."""
        doomed = [
            token.id
            for token in self._store.tokens(user_id)
            if token.id != except_id and (token_type is None or token.token_type is token_type)
        ]
        return len(await self._revoke(doomed, ip=ip))

    async def change_password(
        self, user: User, password: str, *, keep_token_id: str | None = None
    ) -> int:
        """Set a new password and revoke the user's other tokens in the same transaction;
        returns how many were revoked."""
        now = self._clock()
        rows = self._revoke_rows(self._store.token_ids(user.id), ip=None)

        def revoke_others(conn: sqlite3.Connection) -> list[str]:
            ids = [
                str(row[0])
                for row in conn.execute(
                    "SELECT id FROM refresh_tokens WHERE user_id = ?", (user.id,)
                )
                if row[0] != keep_token_id
            ]
            return self._bury_all(conn, ids, now, rows)

        revoked = await self._save_password(user, password, revoke_others)
        self._forget(revoked)
        return len(revoked)

    def _revoke_rows(self, token_ids: Iterable[str], *, ip: str | None) -> dict[str, AuditRow]:
        """The `token_revoked` audit entries for tokens about to be revoked (built on the loop)."""
        rows = {}
        for token_id in token_ids:
            token = self._tokens.get(token_id)
            user = None if token is None else self._users.get(token.user_id)
            rows[token_id] = audit_row(
                "token_revoked",
                user_id=None if token is None else token.user_id,
                username=None if user is None else user.username,
                ip=ip,
                details={"token_id": token_id},
            )
        return rows

    @staticmethod
    def _bury_all(
        conn: sqlite3.Connection, token_ids: list[str], now: float, rows: dict[str, AuditRow]
    ) -> list[str]:
        buried = []
        for token_id in token_ids:
            if bury_token(conn, token_id, now):
                buried.append(token_id)
                row = rows.get(token_id) or audit_row(
                    "token_revoked", details={"token_id": token_id}
                )
                insert_audit(conn, row)
        return buried

    async def _revoke(
        self, token_ids: list[str], *, ip: str | None = None, extra: AuditRow | None = None
    ) -> list[str]:
        """Delete tokens (keeping tombstones) durably, then drop them from the caches."""
        if not token_ids:
            return []
        for token_id in token_ids:
            self._cached_token(token_id)  # for the audit entry's user
        rows = self._revoke_rows(token_ids, ip=ip)
        now = self._clock()

        def revoke(conn: sqlite3.Connection) -> list[str]:
            if extra is not None:
                insert_audit(conn, extra)
            return self._bury_all(conn, token_ids, now, rows)

        revoked = await self._db.write(revoke)
        self._forget(revoked)
        return revoked

    async def prune_dead_tokens(self) -> int:
        """Delete tokens that expired or sat unused too long (they can never work again),
        keeping their tombstones, in small transactions."""
        now = self._clock()
        # The cache holds every token (loaded at start, followed since): no scan of the table.
        dead = [token.id for token in list(self._tokens.values()) if not self._alive(token, now)]
        for start in range(0, len(dead), PRUNE_CHUNK):
            chunk = dead[start : start + PRUNE_CHUNK]
            await self._db.write(partial(_bury_quietly, token_ids=chunk, now=now))
            for token_id in chunk:
                self._tokens.pop(token_id, None)
        if dead:
            _LOGGER.info("Removed %d expired token(s)", len(dead))
        return len(dead)

    async def prune_tombstones(self) -> int:
        """Forget tombstones past their lifetime, and the oldest beyond the row cap."""
        before = self._clock() - const.TOKEN_TOMBSTONE_LIFETIME.total_seconds()
        return await self._db.write(
            partial(prune_tombstones, before=before, keep=const.MAX_TOKEN_TOMBSTONES)
        )


def _bury_quietly(conn: sqlite3.Connection, token_ids: list[str], now: float) -> None:
    for token_id in token_ids:
        bury_token(conn, token_id, now)
