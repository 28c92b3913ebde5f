"""`debug_ssh:` — the SSH debug console (hearth.debug_ssh): off unless the owner turns it on."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from hearth import const
from hearth.config.duration import duration_between, parse_duration

IdleTimeout = Annotated[
    float, BeforeValidator(parse_duration), AfterValidator(duration_between(10, 24 * 3600.0))
]


class DebugSshSection(BaseModel):
    """`debug_ssh:` — port 22222, keys only; `server_host` None: the same as `http:`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = False
    port: Annotated[int, Field(strict=True, ge=1, le=65535)] = const.DEBUG_SSH_PORT
    server_host: Annotated[list[str], Field(min_length=1)] | None = None
    idle_timeout: IdleTimeout = const.DEBUG_SSH_IDLE_TIMEOUT
    max_sessions: Annotated[int, Field(strict=True, ge=1, le=64)] = const.DEBUG_SSH_MAX_SESSIONS

    @field_validator("server_host", mode="before")
    @classmethod
    def _one_host_is_a_list(cls, value: Any) -> Any:
        """Accept a single host as a one-item list, as `http: server_host` does."""
        return [value] if isinstance(value, str) else value

    @field_validator("server_host")
    @classmethod
    def _hosts(cls, value: list[str] | None) -> list[str] | None:
        """Addresses or host names, checked as `http: server_host` checks them."""
        from hearth.config.schema import _check_host

        return None if value is None else [_check_host(host) for host in value]

    def hosts(self, http_hosts: list[str]) -> list[str]:
        """Where the console listens."""
        return list(self.server_host) if self.server_host is not None else list(http_hosts)
