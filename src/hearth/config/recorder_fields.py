"""The `recorder:` section: how long history is kept, what is recorded and what never is."""

from __future__ import annotations

import re
from typing import Annotated, Any, Final

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from hearth import const
from hearth.config.duration import duration_between, parse_duration
from hearth.core.state import valid_entity_id

MAX_ITEMS: Final = 1000  # entries in one list of the section
_DOMAIN = re.compile(r"[a-z0-9_]{1,64}")
# Globs match entity ids or attribute names: the characters those have, plus * ? [ ] and !.
_GLOB = re.compile(r"[a-z0-9_.*?\[\]!-]{1,255}")
_ATTRIBUTE = re.compile(r"[A-Za-z0-9_.*?\[\]!-]{1,255}")


def _one_is_a_list(value: Any) -> Any:
    """Accept a single value where a list is expected, as Home Assistant does."""
    return [value] if isinstance(value, str) else value


def _domain(value: str) -> str:
    if not _DOMAIN.fullmatch(value):
        raise ValueError("expected a domain such as light (a-z, 0-9 and _)")
    return value


def _entity_id(value: str) -> str:
    if not valid_entity_id(value):
        raise ValueError("expected an entity id such as light.kitchen")
    return value


def _glob(value: str) -> str:
    if not _GLOB.fullmatch(value):
        raise ValueError("expected a pattern such as sensor.*_battery (a-z, 0-9, _ . - * ? [ ])")
    return value


def _attribute(value: str) -> str:
    if not _ATTRIBUTE.fullmatch(value):
        raise ValueError("expected an attribute name or a pattern such as *_token")
    return value


Domain = Annotated[str, AfterValidator(_domain)]
EntityId = Annotated[str, AfterValidator(_entity_id)]
Glob = Annotated[str, AfterValidator(_glob)]
AttributePattern = Annotated[str, AfterValidator(_attribute)]
CommitInterval = Annotated[
    float, BeforeValidator(parse_duration), AfterValidator(duration_between(0.05, 60))
]
RetryInterval = Annotated[
    float, BeforeValidator(parse_duration), AfterValidator(duration_between(1, 3600))
]


def _not_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("expected a number, not true/false")
    return value


KeepDays = Annotated[int, BeforeValidator(_not_bool), Field(ge=1, le=const.RECORDER_MAX_KEEP_DAYS)]


class EntityMatch(BaseModel):
    """Entities named by domain, by id or by a glob over the id (`include`, `exclude` ...)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    domains: Annotated[list[Domain], Field(max_length=MAX_ITEMS)] = Field(default_factory=list)
    entities: Annotated[list[EntityId], Field(max_length=MAX_ITEMS)] = Field(default_factory=list)
    entity_globs: Annotated[list[Glob], Field(max_length=MAX_ITEMS)] = Field(default_factory=list)

    @field_validator("domains", "entities", "entity_globs", mode="before")
    @classmethod
    def _single(cls, value: Any) -> Any:
        """Accept a single value as a one-item list."""
        return _one_is_a_list(value)

    @property
    def empty(self) -> bool:
        """Whether nothing is named."""
        return not (self.domains or self.entities or self.entity_globs)


class RecorderSection(BaseModel):
    """`recorder:` — the history of state changes (hearth.recorder)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    purge_keep_days: KeepDays = const.RECORDER_KEEP_DAYS
    commit_interval: CommitInterval = const.RECORDER_COMMIT_INTERVAL
    retry_interval: RetryInterval = const.RECORDER_RETRY_INTERVAL
    include: EntityMatch = EntityMatch()
    exclude: EntityMatch = EntityMatch()
    sensitive: EntityMatch = EntityMatch()
    exclude_attributes: Annotated[list[AttributePattern], Field(max_length=MAX_ITEMS)] = Field(
        default_factory=list
    )
    exclude_secret_attributes: bool = True

    @field_validator("include", "exclude", "sensitive", mode="before")
    @classmethod
    def _bare_means_empty(cls, value: Any) -> Any:
        """`exclude:` written with no value names nothing."""
        return {} if value is None else value

    @field_validator("exclude_attributes", mode="before")
    @classmethod
    def _single(cls, value: Any) -> Any:
        """Accept a single value as a one-item list."""
        return _one_is_a_list(value)
