"""What is recorded: which entities (include/exclude) and which attributes (privacy). No I/O.

Privacy: the attributes of sensitive entities are never written to the history database, nor
attributes named like a secret (tokens, codes, passwords, keys ...), nor text values that carry a
token in a URL (a camera's `entity_picture`). The state itself is recorded: it is what the
history shows, and every user of the hub sees it anyway.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from hearth.config.recorder_fields import EntityMatch, RecorderSection

# Their attributes hold codes and access tokens (code_format, a camera's access_token): never
# recorded, whatever the configuration says.
ALWAYS_SENSITIVE_DOMAINS: Final = frozenset({"alarm_control_panel", "camera", "lock"})
# Words that make an attribute name look like a secret (split on _ - . and camelCase).
SECRET_WORDS: Final = frozenset(
    {
        "apikey", "auth", "authorization", "bearer", "code", "cookie", "credential",
        "credentials", "key", "otp", "passcode", "passphrase", "passwd", "password", "pin",
        "pwd", "secret", "session", "signature", "token",
    }
)  # fmt: skip
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_TOKEN_IN_TEXT = re.compile(r"(?i)(?:access_token|token|signature|auth)=")
_MAX_CACHE: Final = 100_000


def _compile(globs: Iterable[str]) -> re.Pattern[str] | None:
    """One regular expression for a list of globs, or None for none."""
    parts = [fnmatch.translate(glob) for glob in globs]
    return re.compile("|".join(parts)) if parts else None


class EntityMatcher:
    """Whether an entity id is named by a domain, an id or a glob of an EntityMatch."""

    __slots__ = ("domains", "entities", "globs")

    def __init__(self, match: EntityMatch, extra_domains: Iterable[str] = ()) -> None:
        self.domains = frozenset(match.domains) | frozenset(extra_domains)
        self.entities = frozenset(match.entities)
        self.globs = _compile(match.entity_globs)

    @property
    def empty(self) -> bool:
        """Whether nothing is named."""
        return not (self.domains or self.entities or self.globs)

    def broad(self, entity_id: str) -> bool:
        """Named by its domain or by a glob (not by its id)."""
        domain = entity_id.partition(".")[0]
        return domain in self.domains or (
            self.globs is not None and self.globs.fullmatch(entity_id) is not None
        )


class EntityFilter:
    """include/exclude: an id named in `exclude.entities` is never recorded, one named in
    `include.entities` always is; otherwise a domain or glob in `exclude` wins, and with an
    `include` only what it names is recorded."""

    def __init__(self, include: EntityMatch, exclude: EntityMatch) -> None:
        self._include = EntityMatcher(include)
        self._exclude = EntityMatcher(exclude)
        self._cache: dict[str, bool] = {}

    def __call__(self, entity_id: str) -> bool:
        """Whether the changes of `entity_id` are recorded."""
        found = self._cache.get(entity_id)
        if found is None:
            found = self._decide(entity_id)
            if len(self._cache) >= _MAX_CACHE:
                self._cache.clear()
            self._cache[entity_id] = found
        return found

    def _decide(self, entity_id: str) -> bool:
        if entity_id in self._exclude.entities:
            return False
        if entity_id in self._include.entities:
            return True
        if self._exclude.broad(entity_id):
            return False
        return self._include.empty or self._include.broad(entity_id)


def secret_like(name: str) -> bool:
    """Whether an attribute name reads like a secret: access_token, code_format, apiKey, pin."""
    words = _WORD.findall(name)
    return any(word.lower() in SECRET_WORDS for word in words) or name.lower() in SECRET_WORDS


class AttributeFilter:
    """Which attributes of which entity may be written to the history database."""

    def __init__(
        self,
        sensitive: EntityMatch,
        exclude_attributes: Iterable[str],
        *,
        exclude_secret: bool,
    ) -> None:
        self._sensitive = EntityMatcher(sensitive, ALWAYS_SENSITIVE_DOMAINS)
        self._excluded = _compile(exclude_attributes)
        self._exclude_secret = exclude_secret
        self._names: dict[str, bool] = {}
        self._entities: dict[str, bool] = {}

    def sensitive(self, entity_id: str) -> bool:
        """Whether none of this entity's attributes may be recorded."""
        found = self._entities.get(entity_id)
        if found is None:
            found = entity_id in self._sensitive.entities or self._sensitive.broad(entity_id)
            if len(self._entities) >= _MAX_CACHE:
                self._entities.clear()
            self._entities[entity_id] = found
        return found

    def _dropped(self, name: str) -> bool:
        found = self._names.get(name)
        if found is None:
            found = (self._excluded is not None and self._excluded.fullmatch(name) is not None) or (
                self._exclude_secret and secret_like(name)
            )
            if len(self._names) >= _MAX_CACHE:
                self._names.clear()
            self._names[name] = found
        return found

    def keep(self, entity_id: str, attributes: Mapping[str, Any]) -> dict[str, Any]:
        """The attributes that may be recorded (all of them, usually)."""
        if not attributes or self.sensitive(entity_id):
            return {}
        kept = {}
        for name, value in attributes.items():
            if self._dropped(name):
                continue
            if self._exclude_secret and isinstance(value, str) and _TOKEN_IN_TEXT.search(value):
                continue
            kept[name] = value
        return kept


def filters_for(section: RecorderSection) -> tuple[EntityFilter, AttributeFilter]:
    """The entity and attribute filters of a `recorder:` section."""
    entities = EntityFilter(section.include, section.exclude)
    attributes = AttributeFilter(
        section.sensitive,
        section.exclude_attributes,
        exclude_secret=section.exclude_secret_attributes,
    )
    return entities, attributes
