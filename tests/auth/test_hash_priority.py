"""Hashing threads run at a lower CPU priority than the event loop (Linux)."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from hearth.auth.passwords import HASH_THREAD_NICENESS, PasswordHasher


def own_niceness() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
async def test_hashing_threads_yield_to_the_event_loop(fast_hasher: PasswordHasher) -> None:
    loop_niceness = own_niceness()
    in_pool = await fast_hasher._run(own_niceness)
    assert in_pool >= min(19, loop_niceness + HASH_THREAD_NICENESS)
    assert own_niceness() == loop_niceness  # the loop's own thread is untouched
