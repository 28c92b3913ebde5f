"""Contexts tie states and events to the call (and the user) that caused them."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# Two base32 digits per 10-bit chunk: 13 lookups encode the 130 bits of a ULID.
_PAIRS = tuple(a + b for a in _CROCKFORD for b in _CROCKFORD)
_SHIFTS = tuple(range(120, -1, -10))
# Context ids are identifiers shown to every client, not secrets (as in Home Assistant), so a fast
# generator seeded from the OS is enough; secrets.randbits costs a system call per state change.
_RANDOM = random.Random()  # noqa: S311


def ulid_now() -> str:
    """A new 26-character ULID: 48 bits of milliseconds then 80 random bits, Crockford base32."""
    value = (time.time_ns() // 1_000_000) << 80 | _RANDOM.getrandbits(80)
    return "".join([_PAIRS[(value >> shift) & 0x3FF] for shift in _SHIFTS])


@dataclass(frozen=True, slots=True)
class Context:
    """Who or what caused a change; `parent_id` links to the context that triggered this one."""

    id: str = field(default_factory=ulid_now)
    user_id: str | None = None
    parent_id: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        """The Home Assistant shape."""
        return {"id": self.id, "parent_id": self.parent_id, "user_id": self.user_id}
