"""Users and refresh tokens as plain values."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from hearth.const import ACCESS_TOKEN_LIFETIME


class TokenType(StrEnum):
    """What a refresh token is for."""

    NORMAL = "normal"
    LONG_LIVED = "long_lived_access_token"


@dataclass(slots=True)
class User:
    """An account. The password hash lives only in the store, never on this object."""

    id: str
    username: str
    name: str
    is_owner: bool = False
    is_admin: bool = False
    is_active: bool = True
    local_only: bool = False
    created_at: datetime | None = None


@dataclass(slots=True)
class RefreshToken:
    """A refresh token record. Only a hash of the token itself is stored; `jwt_key` signs access
    tokens issued under it and is never shown to anyone."""

    id: str
    user_id: str
    token_type: TokenType
    created_at: datetime
    access_token_expiration: timedelta = ACCESS_TOKEN_LIFETIME
    client_id: str | None = None
    client_name: str | None = None
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    last_used_ip: str | None = None
    jwt_key: str = field(default="", repr=False)
