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
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from hearth import const

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


def _not_bool(value: Any) -> Any:
    """Refuse true/false where a number is expected; pydantic alone would read `yes` as 1."""
    if isinstance(value, bool):
        raise PydanticCustomError("number_type", "expected a number, not true/false")
    return value


Number = BeforeValidator(_not_bool)
Host = Annotated[str, AfterValidator(_check_host)]
TimeZone = Annotated[str, AfterValidator(_check_time_zone)]
Count = Annotated[int, Number, Field(ge=0, le=100_000)]


class CoreSection(BaseModel):
    """`homeassistant:` — where the home is and how it measures things."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(min_length=1, max_length=100)] = "Home"
    latitude: Annotated[float, Number, Field(ge=-90, le=90)] = 0.0
    longitude: Annotated[float, Number, Field(ge=-180, le=180)] = 0.0
    elevation: Annotated[int, Number] = 0
    time_zone: TimeZone = "UTC"
    unit_system: Literal["metric", "us_customary"] = "metric"


class HttpSection(BaseModel):
    """`http:` — where the server listens."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    server_host: Annotated[list[Host], Field(min_length=1)] = Field(
        default_factory=lambda: list(const.DEFAULT_SERVER_HOSTS)
    )
    server_port: Annotated[int, Number, Field(ge=1, le=65535)] = const.DEFAULT_PORT

    @field_validator("server_host", mode="before")
    @classmethod
    def _one_host_is_a_list(cls, value: Any) -> Any:
        """Accept a single host as a one-item list, as Home Assistant does."""
        return [value] if isinstance(value, str) else value


class DemoSection(BaseModel):
    """`demo:` — the demo integration's lights, switches and sensors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lights: Count = 3
    switches: Count = 2
    sensors: Count = 2
    sensor_interval: Annotated[float, Number, Field(ge=0.05, le=86400)] = 30.0


class Config(BaseModel):
    """The whole configuration.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    homeassistant: CoreSection = CoreSection()
    http: HttpSection = HttpSection()
    demo: DemoSection | None = None

    @model_validator(mode="before")
    @classmethod
    def _bare_section_means_defaults(cls, data: Any) -> Any:
        """Treat a section written with no value (`demo:`) as that section with every default."""
        if isinstance(data, dict):
            return {key: {} if value is None else value for key, value in data.items()}
        return data
