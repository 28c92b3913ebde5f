"""Lifting a ban on request of an administrator (REST and WebSocket share this)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hearth.exceptions import BadRequest, NotFound

if TYPE_CHECKING:
    from hearth.auth.models import User
    from hearth.bans.manager import BanManager
    from hearth.bans.policy import BanRecord

NOT_AN_ADDRESS = "Expected an IP address or an IPv6 /64 network."
NOT_BANNED = "This address is not banned."


async def lift_ban(bans: BanManager, client: str, user: User) -> BanRecord:
    """Lift the ban of `client` for `user` (audited); BadRequest or NotFound otherwise."""
    try:
        lifted = await bans.unban(client, user_id=user.id, username=user.username)
    except ValueError:
        raise BadRequest(NOT_AN_ADDRESS) from None
    if lifted is None:
        raise NotFound(NOT_BANNED)
    return lifted
