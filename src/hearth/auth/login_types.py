"""What a login step takes and gives: the client, the outcome, and the words they share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from hearth.auth.flow import IPAddress

if TYPE_CHECKING:
    from hearth.auth.models import User
    from hearth.auth.passkeys.ceremony import RelyingParty

LOCAL_ONLY_MESSAGE: Final = "Login blocked: this user may log in only from the local network."
PASSKEYS_UNAVAILABLE: Final = (
    "Passkeys need the hub to be opened by a host name over HTTPS (or as localhost)."
)
INVALID_PASSKEY: Final = "invalid_passkey"  # a refused assertion: counts like a wrong code
PASSKEY_LOGIN_FIELD: Final = "passkey_login"  # submitted at the first step: password-less


@dataclass(frozen=True, slots=True)
class Client:
    """Who is asking: address, whether that address is local, user agent."""

    ip: IPAddress
    remote: bool
    user_agent: str | None = None
    rp: RelyingParty | None = None  # where passkeys work: the checked host name and origin


@dataclass(slots=True)
class Outcome:
    """A step's result: the JSON body, its status, and any credential failure to report."""

    body: dict[str, Any]
    status: int = 200
    failure: str | None = None
    username: str | None = None
    user: User | None = None  # set once the login is complete
