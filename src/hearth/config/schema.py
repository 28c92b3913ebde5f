"""The configuration schema: every key configuration.yaml may hold, with types and defaults."""

from __future__ import annotations

import ipaddress
import string
import zoneinfo
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from hearth import const
from hearth.auth.mfa.policy import MfaPolicy
from hearth.config import acme_fields, ban_fields, net_fields, net_rules, tls_fields
from hearth.config.debug_ssh_fields import DebugSshSection
from hearth.config.duration import duration_between, parse_duration
from hearth.config.mqtt_fields import MqttSection
from hearth.config.recorder_fields import RecorderSection

_HOSTNAME_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-")

# Validators never put the offending value into their message: it may come from secrets.yaml.


@cache
def _time_zones() -> frozenset[str]:
    """Every zone name the system's time zone database knows."""
    return frozenset(zoneinfo.available_timezones())


def _check_time_zone(value: str) -> str:
    """Accept UTC and any IANA time zone name known to the system."""
    if value != "UTC" and value not in _time_zones():
        raise ValueError("expected an IANA time zone name such as 'Europe/Amsterdam' or 'UTC'")
    return value


def _is_hostname(value: str) -> bool:
    """Whether `value` is a DNS hostname after RFC 1123 (labels of letters, digits and hyphens)."""
    name = value.removesuffix(".")
    if not name or len(name) > 253:
        return False
    labels = name.split(".")
    if labels[-1].isdigit():  # "1.2.3.999" is a mistyped address, not a name
        return False
    return all(
        0 < len(label) <= 63
        and set(label) <= _HOSTNAME_CHARACTERS
        and not label.startswith("-")
        and not label.endswith("-")
        for label in labels
    )


def _check_host(value: str) -> str:
    """Accept an IPv4/IPv6 address literal or a hostname."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        if not _is_hostname(value):
            raise ValueError("expected an IP address or a hostname") from None
    return value


# Joiners are format characters that scripts (Persian, Indic) and emoji sequences need; every
# other format or control character (bidi overrides, zero-width spaces) only hides or reorders.
_ALLOWED_FORMAT_CHARACTERS = frozenset("\u200c\u200d")


def _check_display_name(value: str) -> str:
    """Printable text: no control, format (bidi, zero-width), private-use or unassigned ones."""
    if not value.strip() or not all(
        char.isprintable() or char in _ALLOWED_FORMAT_CHARACTERS for char in value
    ):
        raise ValueError(
            "expected printable text, without control characters, line breaks or invisible "
            "formatting characters"
        )
    return value


def _not_bool(value: Any) -> Any:
    """Refuse true/false where a number is expected; pydantic alone would read `yes` as 1."""
    if isinstance(value, bool):
        raise PydanticCustomError("number_type", "expected a number, not true/false")
    return value


Number = BeforeValidator(_not_bool)
Host = Annotated[str, AfterValidator(_check_host)]
TimeZone = Annotated[str, AfterValidator(_check_time_zone)]
Count = Annotated[int, Number, Field(ge=0, le=100_000)]
AuditRetention = Annotated[
    float,
    BeforeValidator(parse_duration),
    AfterValidator(duration_between(1, 100 * 365 * 86400.0)),
]


class CoreSection(BaseModel):
    """`homeassistant:` — where the home is and how it measures things."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[
        str, Field(min_length=1, max_length=100), AfterValidator(_check_display_name)
    ] = "Home"
    latitude: Annotated[float, Number, Field(ge=-90, le=90)] = 0.0
    longitude: Annotated[float, Number, Field(ge=-180, le=180)] = 0.0
    elevation: Annotated[int, Number, Field(ge=const.ELEVATION_MIN, le=const.ELEVATION_MAX)] = 0
    time_zone: TimeZone = "UTC"
    unit_system: Literal["metric", "us_customary"] = "metric"


class HttpSection(BaseModel):
    """`http:` — where the server listens."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    server_host: Annotated[list[Host], Field(min_length=1)] = Field(
        default_factory=lambda: list(const.DEFAULT_SERVER_HOSTS)
    )
    server_port: Annotated[int, Number, Field(ge=1, le=65535)] = const.DEFAULT_PORT
    # IP bans (hearth.bans): on by default with a real threshold, unlike Home Assistant.
    ip_ban_enabled: bool = True
    login_attempts_threshold: ban_fields.Threshold = const.IP_BAN_THRESHOLD
    login_attempts_window: ban_fields.Window = const.IP_BAN_WINDOW
    ip_ban_duration: ban_fields.BanDuration = const.IP_BAN_DURATION
    ip_ban_max_duration: ban_fields.MaxBanDuration = const.IP_BAN_MAX_DURATION
    ip_ban_allowlist: list[ban_fields.AllowNetwork] = Field(default_factory=list)
    # Network guard (hearth.http.network_guard, forwarded, cors): local network only by default.
    local_networks: list[net_fields.LocalNetworkEntry] = Field(default_factory=list)
    remote_access: bool = False
    trusted_proxies: list[net_fields.ProxyEntry] = Field(default_factory=list)
    use_x_forwarded_for: bool = False  # after trusted_proxies: its validator reads that field
    use_x_frame_options: bool = True
    cors_allowed_origins: list[net_fields.Origin] = Field(default_factory=list)
    # Host check (hearth.http.host_check): names the hub answers to besides those it knows.
    allowed_hosts: list[Host] = Field(default_factory=list)
    # TLS (hearth.http.tls.profiles): Mozilla's modern profile unless intermediate is asked for.
    ssl_certificate: tls_fields.PemFile | None = None
    ssl_key: tls_fields.PemFile | None = None
    ssl_peer_certificate: tls_fields.PemFile | None = None
    ssl_profile: tls_fields.TlsProfileName = "modern"
    # ACME (hearth.acme): the hub obtains and renews its certificate itself.
    acme: acme_fields.AcmeSection | None = None

    @field_validator("local_networks", "trusted_proxies", "cors_allowed_origins", mode="before")
    @classmethod
    def _one_entry_is_a_list(cls, value: Any) -> Any:
        """Accept a single network or origin as a one-item list."""
        return net_fields.one_is_a_list(value)

    @field_validator("use_x_forwarded_for")
    @classmethod
    def _forwarded_needs_proxies(cls, value: bool, info: ValidationInfo) -> bool:
        """X-Forwarded-For is believed only from listed proxies, so there must be some."""
        return net_fields.check_use_x_forwarded_for(value, info.data.get("trusted_proxies"))

    @field_validator("server_host", "allowed_hosts", mode="before")
    @classmethod
    def _one_host_is_a_list(cls, value: Any) -> Any:
        """Accept a single host as a one-item list, as Home Assistant does."""
        return [value] if isinstance(value, str) else value

    @field_validator("ip_ban_allowlist", mode="before")
    @classmethod
    def _one_network_is_a_list(cls, value: Any) -> Any:
        """Accept a single network as a one-item list."""
        return [value] if isinstance(value, str) else value

    @field_validator("ip_ban_max_duration")
    @classmethod
    def _max_not_below_duration(cls, value: float, info: ValidationInfo) -> float:
        """Backoff doubles the ban up to the maximum, so the maximum cannot be shorter."""
        return ban_fields.check_max_duration(value, info.data.get("ip_ban_duration"))

    @model_validator(mode="after")
    def _tls_files_together(self) -> HttpSection:
        """Certificate and key come as a pair; client certificates need TLS."""
        tls_fields.check_tls_keys(
            self.ssl_certificate,
            self.ssl_key,
            self.ssl_peer_certificate,
            acme=self.acme is not None,
        )
        acme_fields.check_acme(self.acme, self.ssl_certificate, self.ssl_key, self.ssl_profile)
        return self


class DemoSection(BaseModel):
    """`demo:` — the demo integration's lights, switches and sensors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lights: Count = 3
    switches: Count = 2
    sensors: Count = 2
    sensor_interval: Annotated[float, Number, Field(ge=0.05, le=86400)] = 30.0


def _check_network(value: str) -> str:
    """Accept a network in CIDR notation (a single address is a /32 or /128)."""
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError:
        raise ValueError(
            "expected a network such as 192.168.1.0/24 or fd00::/64 (with the host bits zero)"
        ) from None
    return value


def _check_username(value: str) -> str:
    """A username as `hearth user add` stores it: stripped and lower-cased."""
    from hearth.auth.store import USERNAME_RE

    normalized = value.strip().casefold()
    if not USERNAME_RE.fullmatch(normalized):
        raise ValueError("expected a username: a-z, 0-9, '.', '_', '-' and '@', 1 to 64 characters")
    return normalized


Network = Annotated[
    str, AfterValidator(_check_network), AfterValidator(net_rules.check_trusted_network)
]
Username = Annotated[str, AfterValidator(_check_username)]


class TrustedNetwork(BaseModel):
    """One `auth: trusted_networks:` entry: clients in `networks` may log in as `users`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    networks: Annotated[list[Network], Field(min_length=1)]
    users: Annotated[list[Username], Field(min_length=1)]

    @field_validator("networks", "users", mode="before")
    @classmethod
    def _one_is_a_list(cls, value: Any) -> Any:
        """Accept a single network or user as a one-item list."""
        return [value] if isinstance(value, str) else value


class AccountThrottleSection(BaseModel):
    """`auth: account_throttle:` — the delay between checks of one account's password."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_delay: Annotated[float, Number, Field(ge=0.1, le=3600)] = const.THROTTLE_BASE_DELAY
    max_delay: Annotated[float, Number, Field(ge=0.1, le=86400)] = const.THROTTLE_MAX_DELAY
    queue: Annotated[int, Number, Field(ge=1, le=1000)] = const.THROTTLE_QUEUE

    @field_validator("max_delay")
    @classmethod
    def _max_not_below_base(cls, value: float, info: ValidationInfo) -> float:
        """The delay doubles from base_delay up to max_delay, so the maximum cannot be lower."""
        base = info.data.get("base_delay")
        if base is not None and value < base:
            raise ValueError("must not be shorter than base_delay")
        return value


class AuthSection(BaseModel):
    """`auth:` — passwords, sessions, tokens and login providers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    password_min_length: Annotated[
        int, Number, Field(ge=const.PASSWORD_MIN_LENGTH, le=const.PASSWORD_MIN_LENGTH_MAX)
    ] = const.PASSWORD_MIN_LENGTH
    refresh_token_rotation: bool = False
    allow_user_long_lived_tokens: bool = True
    trusted_networks: list[TrustedNetwork] = Field(default_factory=list)
    # None: administrators, once any administrator has set up MFA (see hearth.auth.mfa.policy).
    mfa_required: MfaPolicy | None = None
    account_throttle: AccountThrottleSection = AccountThrottleSection()
    # Per user (see hearth.auth.tokens.limits), and how long the audit log is kept.
    max_sessions_per_user: Annotated[int, Number, Field(ge=1, le=10_000)] = (
        const.MAX_SESSIONS_PER_USER
    )
    max_long_lived_tokens_per_user: Annotated[int, Number, Field(ge=1, le=10_000)] = (
        const.MAX_LONG_LIVED_TOKENS_PER_USER
    )
    token_creations_per_minute: Annotated[int, Number, Field(ge=1, le=1000)] = (
        const.TOKEN_CREATIONS_PER_MINUTE
    )
    audit_log_retention: AuditRetention = const.AUDIT_LOG_RETENTION
    audit_log_max_rows: Annotated[int, Number, Field(ge=10, le=1_000_000_000)] = (
        const.AUDIT_LOG_MAX_ROWS
    )


class Config(BaseModel):
    """The whole configuration.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    homeassistant: CoreSection = CoreSection()
    http: HttpSection = HttpSection()
    demo: DemoSection | None = None
    auth: AuthSection = AuthSection()
    recorder: RecorderSection = RecorderSection()
    mqtt: MqttSection | None = None
    debug_ssh: DebugSshSection = DebugSshSection()

    @field_validator("auth")
    @classmethod
    def _trusted_network_without_proxy(cls, auth: AuthSection, info: ValidationInfo) -> AuthSection:
        """A trusted network must not contain a trusted proxy (see hearth.auth.trusted)."""
        from hearth.auth.trusted import proxy_conflict

        http = info.data.get("http")
        if http is not None and (problem := proxy_conflict(auth, http)) is not None:
            raise ValueError(problem)
        return auth

    @model_validator(mode="before")
    @classmethod
    def _bare_section_means_defaults(cls, data: Any) -> Any:
        """Treat a section written with no value (`demo:`) as that section with every default."""
        if isinstance(data, dict):
            return {key: {} if value is None else value for key, value in data.items()}
        return data
