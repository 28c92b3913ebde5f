"""Password policy and Argon2id hashing, off the event loop in a bounded pool."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import sys
import threading
import unicodedata
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Final, TypeVar

import argon2
from argon2.exceptions import InvalidHashError, VerificationError

from hearth import const
from hearth.exceptions import BadRequest, Unavailable

T = TypeVar("T")

HASH_THREAD_NICENESS: Final = 10

# An Argon2id hash of a random string nobody knows, made with the default parameters. Verifying
# against it costs what verifying a real user's password costs, so unknown usernames answer just as
# slowly as known ones.
_DEFAULT_DUMMY_HASH: Final = (
    "$argon2id$v=19$m=19456,t=2,p=1$YScLsRC+lQB7zjvuunCVPQ"
    "$69MgdQLw2I1kRgK8/OAp2c+5Wip57wr5G3RMxS3fJsI"
)


def normalize_password(password: str) -> str:
    """NFKC-normalise, as NIST SP 800-63B advises, so equivalent Unicode input matches."""
    return unicodedata.normalize("NFKC", password)


def check_password(password: object) -> None:
    """Raise BadRequest when the password breaks the policy; the message never contains it."""
    if not isinstance(password, str):
        raise BadRequest("The password must be a string.")
    length = len(normalize_password(password))
    if length < const.PASSWORD_MIN_LENGTH:
        raise BadRequest(
            f"The password is too short: it needs at least {const.PASSWORD_MIN_LENGTH} characters."
        )
    if length > const.PASSWORD_MAX_LENGTH:
        raise BadRequest(
            f"The password is too long: at most {const.PASSWORD_MAX_LENGTH} characters are allowed."
        )


class PasswordHasher:
    """Argon2id with Hearth's parameters; async methods run in a small bounded thread pool."""

    def __init__(
        self,
        *,
        memory_cost: int = const.ARGON2_MEMORY_KIB,
        time_cost: int = const.ARGON2_TIME_COST,
        parallelism: int = const.ARGON2_PARALLELISM,
        workers: int = const.HASH_WORKERS,
        queue_limit: int = const.HASH_QUEUE_LIMIT,
    ) -> None:
        self._params = argon2.Parameters(
            type=argon2.Type.ID,
            version=argon2.low_level.ARGON2_VERSION,
            salt_len=argon2.DEFAULT_RANDOM_SALT_LENGTH,
            hash_len=argon2.DEFAULT_HASH_LENGTH,
            time_cost=time_cost,
            memory_cost=memory_cost,
            parallelism=parallelism,
        )
        self._argon = argon2.PasswordHasher.from_parameters(self._params)
        self._dummy_hash: str | None = (
            _DEFAULT_DUMMY_HASH
            if argon2.extract_parameters(_DEFAULT_DUMMY_HASH) == self._params
            else None
        )
        self._workers = workers
        self._limit = workers + queue_limit
        self._pending = 0
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None

    def __repr__(self) -> str:
        p = self._params
        return f"PasswordHasher(m={p.memory_cost}, t={p.time_cost}, p={p.parallelism})"

    def hash_sync(self, password: str) -> str:
        """Hash a password (blocking; for the CLI). The caller checks the policy first."""
        return self._argon.hash(normalize_password(password))

    def verify_sync(self, password_hash: str, password: str) -> bool:
        """True when the password matches the hash (blocking; for the CLI)."""
        if not isinstance(password, str) or len(password) > const.PASSWORD_MAX_LENGTH:
            return False
        try:
            return self._argon.verify(password_hash, normalize_password(password))
        except (VerificationError, InvalidHashError):
            return False

    def verify_dummy_sync(self, password: str) -> None:
        """Spend the time of one verification without any account to verify against."""
        if self._dummy_hash is None:
            self._dummy_hash = self._argon.hash(secrets.token_urlsafe(32))
        self.verify_sync(self._dummy_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash is not Argon2id or weaker than the current parameters."""
        try:
            old = argon2.extract_parameters(password_hash)
        except (InvalidHashError, ValueError):
            return True
        new = self._params
        return (
            old.type is not new.type
            or old.version < new.version
            or old.memory_cost < new.memory_cost
            or old.time_cost < new.time_cost
            or old.hash_len < new.hash_len
            or old.salt_len < new.salt_len
        )

    async def hash(self, password: str) -> str:
        """Hash a password off the event loop."""
        return await self._run(self.hash_sync, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        """Verify a password off the event loop."""
        return await self._run(self.verify_sync, password_hash, password)

    async def verify_dummy(self, password: str) -> None:
        """Like `verify_dummy_sync`, off the event loop."""
        await self._run(self.verify_dummy_sync, password)

    async def _run(self, func: Callable[..., T], *args: object) -> T:
        """Run in the pool; refuse with Unavailable when too many jobs are already waiting."""
        with self._lock:
            if self._pending >= self._limit:
                raise Unavailable("Too many password checks in progress; try again shortly.")
            self._pending += 1
        try:
            future = self._pool().submit(func, *args)
        except BaseException:
            self._release()
            raise
        # Released when the job really ends, even if the awaiting task was cancelled meanwhile.
        future.add_done_callback(self._release)
        return await asyncio.wrap_future(future)

    def _release(self, _future: Future[Any] | None = None) -> None:
        with self._lock:
            self._pending -= 1

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=self._workers,
                thread_name_prefix="hearth-hash",
                initializer=_lower_priority,
            )
        return self._executor

    def close(self) -> None:
        """Stop the worker threads; queued jobs are cancelled."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


def _lower_priority() -> None:
    """Run this hashing thread at a lower CPU priority than the event loop.

    Threat: a flood of logins keeps every hashing thread busy; at equal priority they would take
    the CPU from the event loop and slow every other request. With nice 10 (per thread on Linux)
    the loop comes first and logins queue instead. Elsewhere this does nothing.
    """
    if not sys.platform.startswith("linux"):
        return
    thread = threading.get_native_id()
    with contextlib.suppress(OSError):
        current = os.getpriority(os.PRIO_PROCESS, thread)
        os.setpriority(os.PRIO_PROCESS, thread, min(19, current + HASH_THREAD_NICENESS))
