"""Key paths into loaded configuration data, and where in which file each key was written."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hearth import const

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Location:
    """A line in a configuration file; `file` is relative to the config dir."""

    file: str
    line: int


@dataclass(frozen=True, slots=True)
class LoadedConfig:
    """Plain data read from configuration.yaml, with the location of every key and list item."""

    data: dict[str, Any]
    locations: dict[KeyPath, Location]
    origins: dict[KeyPath, tuple[str, str]]  # path -> ("!secret" or "!env_var", name)
    files: tuple[Path, ...] = ()  # real paths of every file read (configuration, secrets, includes)

    def locate(self, path: KeyPath) -> tuple[KeyPath, Location]:
        """The longest part of `path` written in a file, and where it was written."""
        for end in range(len(path), -1, -1):
            found = self.locations.get(path[:end])
            if found is not None:
                return path[:end], found
        return (), Location(const.CONFIG_FILE, 1)

    def origin(self, path: KeyPath) -> tuple[KeyPath, str, str] | None:
        """The outermost value along `path` that came from a tag: (its path, tag, name)."""
        for end in range(len(path) + 1):
            found = self.origins.get(path[:end])
            if found is not None:
                return path[:end], found[0], found[1]
        return None


def show(text: str, limit: int = 60) -> str:
    """`text` made fit for a one-line message: printable characters only, at most `limit` long."""
    shown = text if text.isprintable() else repr(text)[1:-1]
    return shown if len(shown) <= limit else shown[:limit] + "…"


def parse_key(key: str) -> KeyPath:
    """("http", "server_host", 0) for `http.server_host[0]`: the inverse of format_key."""
    path: list[str | int] = []
    for part in key.split("."):
        name, *indexes = part.split("[")
        if name:
            path.append(name)
        for index in indexes:
            number = index.removesuffix("]")
            if not number.isdigit():
                return tuple(path)
            path.append(int(number))
    return tuple(path)


def format_key(path: KeyPath) -> str | None:
    """`http.server_host[0]` for ("http", "server_host", 0); None for the top level."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + show(part)
    return show(text, 120) if text else None
