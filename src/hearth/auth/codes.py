"""Authorization codes: what a finished login flow hands the client to trade for tokens."""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

CODE_LIFETIME: Final = 600.0  # ten minutes, as Home Assistant
MAX_CODES: Final = 1000
MAX_CODE_LENGTH: Final = 128


@dataclass(frozen=True, slots=True)
class Grant:
    """What a code stands for: who logged in, how, and for which client."""

    client_id: str
    user_id: str
    provider: str
    created_at: float


class AuthCodes:
    """Single-use codes bound to a client id, in memory, expiring after ten minutes."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        lifetime: float = CODE_LIFETIME,
        max_codes: int = MAX_CODES,
    ) -> None:
        self._clock = clock
        self._lifetime = lifetime
        self._max = max_codes
        self._codes: OrderedDict[str, Grant] = OrderedDict()

    def __len__(self) -> int:
        return len(self._codes)

    def create(self, *, client_id: str, user_id: str, provider: str) -> str:
        """A new code for this login; the oldest unused codes make room."""
        while len(self._codes) >= self._max:
            self._codes.popitem(last=False)
        code = secrets.token_hex(16)
        self._codes[code] = Grant(client_id, user_id, provider, self._clock())
        return code

    def consume(self, code: object, client_id: object) -> Grant | None:
        """The grant for `code` if it is fresh and was issued to `client_id`; the code is spent
        either way, so a code presented by the wrong client can never be used again."""
        if not isinstance(code, str) or len(code) > MAX_CODE_LENGTH:
            return None
        grant = self._codes.pop(code, None)
        if grant is None or self._clock() - grant.created_at >= self._lifetime:
            return None
        return grant if client_id == grant.client_id else None
