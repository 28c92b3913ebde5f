"""Typed keys for application and request state."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from hearth.auth.manager import AuthManager
    from hearth.auth.mfa.manager import MfaManager
    from hearth.auth.models import RefreshToken, User
    from hearth.auth.passkeys.manager import PasskeyManager
    from hearth.config.schema import Config
    from hearth.core.hub import Hub
    from hearth.storage.audit import AuditLog

KEY_HUB: web.AppKey[Hub] = web.AppKey("hearth_hub")
KEY_AUTH: web.AppKey[AuthManager] = web.AppKey("hearth_auth")
KEY_CONFIG: web.AppKey[Config] = web.AppKey("hearth_config")
KEY_MFA: web.AppKey[MfaManager] = web.AppKey("hearth_mfa")
KEY_AUDIT: web.AppKey[AuditLog] = web.AppKey("hearth_audit")
KEY_PASSKEYS: web.AppKey[PasskeyManager] = web.AppKey("hearth_passkeys")

REQ_USER: web.RequestKey[User] = web.RequestKey("hearth_user")
REQ_REFRESH_TOKEN: web.RequestKey[RefreshToken] = web.RequestKey("hearth_refresh_token")
# The real client address: the peer, or the address a trusted proxy reported (set by `forwarded`).
REQ_CLIENT_IP: web.RequestKey[IPv4Address | IPv6Address] = web.RequestKey("hearth_client_ip")
