"""Onboarding: while the hub has no user, creating its owner over HTTP needs a one-time code.

Threat: a fresh hub on a shared network (a flat home LAN, a dorm, a café) would otherwise belong
to whoever reaches it first. The code is printed only where the person who started the hub can
read it (its console and log), compared in constant time, and spent once the owner exists.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
import socket
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Final, TextIO

from hearth.exceptions import Conflict, PermissionDenied

if TYPE_CHECKING:
    from hearth.auth.manager import AuthManager
    from hearth.auth.models import User

_LOGGER = logging.getLogger(__name__)

# Crockford's base32 without look-alikes: 12 characters carry 60 bits, shown as XXXX-XXXX-XXXX.
ALPHABET: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH: Final = 12
MAX_CODE_INPUT: Final = 64
PAGE_PATH: Final = "/onboarding"
_READ_AS: Final = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_setup_code() -> str:
    """A random setup code, grouped for reading aloud."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def _canonical(code: str) -> str:
    """Upper-case, separators dropped, look-alike letters read as the digits they resemble."""
    kept = "".join(ch for ch in code.upper() if ch not in "- \t")
    return kept.translate(_READ_AS)


class Onboarding:
    """The hub's onboarding state: the setup code while there is no user, then nothing."""

    def __init__(self, auth: AuthManager) -> None:
        self._auth = auth
        self._code: str | None = None
        self._done = False
        self._lock = asyncio.Lock()

    @property
    def done(self) -> bool:
        """True once any user exists (created here, with the CLI, or in another process)."""
        # Once done, always done: nothing reopens onboarding while the hub runs.
        if not self._done:
            self._done = bool(self._auth.list_users())
        return self._done

    def setup_code(self) -> str | None:
        """The current code (made on first use), or None when onboarding is done."""
        if self.done:
            self._code = None
            return None
        if self._code is None:
            self._code = new_setup_code()
        return self._code

    def check(self, candidate: object) -> bool:
        """Whether `candidate` is the current setup code (constant time)."""
        code = self.setup_code()
        if code is None or not isinstance(candidate, str) or len(candidate) > MAX_CODE_INPUT:
            return False
        return hmac.compare_digest(_canonical(candidate).encode(), _canonical(code).encode())

    async def create_owner(
        self, setup_code: object, username: str, password: str, name: str | None
    ) -> User:
        """Create the owner; PermissionDenied when onboarding is done, InvalidSetupCode when the
        code is wrong; the password policy's errors otherwise."""
        async with self._lock:  # two browsers racing: one owner, the other is told it is done
            if self.done:
                raise PermissionDenied("The hub already has an owner; log in instead.")
            if not self.check(setup_code):
                raise InvalidSetupCode
            try:
                owner = await self._auth.create_user(
                    username, password, name=name, is_owner=True, is_admin=True
                )
            except Conflict:
                raise PermissionDenied("The hub already has an owner; log in instead.") from None
            self._code = None  # spent
        _LOGGER.info("Onboarding done: %s is the owner", owner.username)
        return owner

    def announce(
        self,
        bound: Iterable[tuple[str, int]],
        *,
        scheme: str = "http",
        config_dir: Path | None = None,
        stream: TextIO | None = None,
    ) -> None:
        """Print the setup code and where to use it, to the console and the log."""
        code = self.setup_code()
        if code is None:
            return
        urls = onboarding_urls(bound, scheme)
        cli = "hearth" + (f" -c {config_dir}" if config_dir is not None else "") + " user add NAME"
        _LOGGER.warning(
            "No users yet. Open %s and enter the setup code %s to create the owner (or run: %s)",
            " or ".join(urls),
            code,
            cli,
        )
        out = stream or sys.stderr
        lines = [
            "No users yet: create the owner of this hub.",
            f"Open {urls[0]}" if urls else "Open /onboarding on this hub",
            *(f"  or {url}" for url in urls[1:]),
            f"and enter the setup code:  {code}",
            f"(or create the owner with: {cli})",
        ]
        width = max(len(line) for line in lines)
        border = "+" + "-" * (width + 2) + "+"
        print(
            "\n".join([border, *(f"| {line.ljust(width)} |" for line in lines), border]), file=out
        )
        out.flush()


class InvalidSetupCode(PermissionDenied):
    """A wrong setup code. Counted like a wrong password (see the views)."""

    status = 401
    code = "invalid_auth"

    def __init__(self) -> None:
        super().__init__("The setup code is not valid. It is printed in the hub's console and log.")


def onboarding_urls(bound: Iterable[tuple[str, int]], scheme: str = "http") -> list[str]:
    """Where a browser can reach the onboarding page, from the addresses the server listens on."""
    urls: list[str] = []
    for host, port in bound:
        if host in ("0.0.0.0", "::"):  # noqa: S104 - describing a wildcard bind, not binding
            names = ["localhost", socket.gethostname()]
        else:
            names = [f"[{host}]" if ":" in host else host]
        for name in names:
            url = f"{scheme}://{name}:{port}{PAGE_PATH}"
            if name and url not in urls:
                urls.append(url)
    return urls
