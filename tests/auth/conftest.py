"""Fixtures for auth tests: a cheap hasher, a controllable clock, a manager in a temp dir."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hearth.auth.manager import AuthManager
from hearth.auth.models import User
from hearth.auth.passwords import PasswordHasher
from tests.conftest import reload_soon, settle

__all__ = ["reload_soon", "settle"]

PASSWORD = "correct horse battery staple"


class FakeClock:
    """A settable clock, starting at the real time."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def fast_hasher() -> Iterator[PasswordHasher]:
    """Low-cost Argon2 parameters, only for tests that hash many times; never the defaults."""
    hasher = PasswordHasher(memory_cost=64, time_cost=1, parallelism=1)
    yield hasher
    hasher.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def auth(tmp_path: Path, fast_hasher: PasswordHasher, clock: FakeClock) -> Iterator[AuthManager]:
    manager = AuthManager.open(tmp_path, hasher=fast_hasher, clock=clock)
    yield manager
    manager.close()


@pytest.fixture
def other_process(tmp_path: Path, clock: FakeClock) -> Iterator[AuthManager]:
    """A second manager on the same directory, standing in for the CLI in another process."""
    manager = AuthManager.open(
        tmp_path, hasher=PasswordHasher(memory_cost=64, time_cost=1), clock=clock
    )
    yield manager
    manager.close()


@pytest.fixture
async def alice(auth: AuthManager) -> User:
    return await auth.create_user("alice", PASSWORD, name="Alice")
