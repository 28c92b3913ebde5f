"""Load configuration YAML with line numbers and the !secret, !include and !env_var tags."""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from hearth import const
from hearth.config.files import UnusableFileError, confine, read_text
from hearth.config.parse import MAX_NESTING, MAX_VALUES, HearthLoader, compose
from hearth.config.paths import KeyPath, LoadedConfig, Location, format_key, show
from hearth.exceptions import ConfigError

MAX_INCLUDE_DEPTH: Final = 8

_YAML: Final = "tag:yaml.org,2002:"
_MAP: Final = _YAML + "map"
_SEQ: Final = _YAML + "seq"
_STR: Final = _YAML + "str"
_MERGE: Final = _YAML + "merge"
_SCALAR_KINDS: Final = {
    _YAML + "null": "null",
    _YAML + "bool": "true/false",
    _YAML + "int": "an integer",
    _YAML + "float": "a number",
    _YAML + "timestamp": "a date",
}
# PyYAML resolves a bare "<<" or "=" to these tags; as values they are only text.
_TEXT_TAGS: Final = frozenset({_STR, _MERGE, _YAML + "value"})
_OUR_TAGS: Final = ("!secret", "!include", "!env_var")
_SELF_REFERENCE: Final = "a YAML alias refers to a value that contains it"
_ENV_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,254}")


@dataclass(frozen=True, slots=True)
class _Doc:
    """The document a node belongs to."""

    file: str  # relative to the config dir, as shown in errors
    depth: int  # include depth
    secrets: bool = False  # secrets.yaml: no tags allowed, no syntax details in errors


class _Reader:
    """Turns node trees into plain data, applying tags and noting where each key was written."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._constructor = HearthLoader("")
        self._documents: dict[Path, Node | None] = {}
        self._including: set[Path] = set()
        self._active: set[int] = set()
        self._values = 0
        self._secrets: dict[str, Any] | None = None
        self.locations: dict[KeyPath, Location] = {}
        self.origins: dict[KeyPath, tuple[str, str]] = {}

    def read(self) -> LoadedConfig:
        """Read configuration.yaml and everything it includes."""
        try:
            real, display = confine(self._root, const.CONFIG_FILE)
            node = self._document(real, _Doc(display, 0))
        except UnusableFileError as exc:
            raise exc.at(const.CONFIG_FILE) from None
        self.locations[()] = Location(display, 1 if node is None else node.start_mark.line + 1)
        self._including.add(real)
        data = None if node is None else self._convert(node, (), _Doc(display, 0))
        if data is None:
            data = {}  # an empty file means every default
        if not isinstance(data, dict):
            where = self.locations[()]
            raise ConfigError(
                "the top level must be a mapping of sections, such as `homeassistant:` and `http:`",
                file=where.file,
                line=where.line,
            )
        return LoadedConfig(
            data=data, locations=self.locations, origins=self.origins, files=tuple(self._documents)
        )

    def _document(self, real: Path, doc: _Doc) -> Node | None:
        """The node tree of a file, read and parsed once per load."""
        if real not in self._documents:
            self._documents[real] = compose(read_text(real), doc.file, hide_details=doc.secrets)
        return self._documents[real]

    def _fail(self, node: Node, path: KeyPath, doc: _Doc, problem: str) -> ConfigError:
        """An error at `node`, naming its file, line and key."""
        return ConfigError(
            problem, file=doc.file, line=node.start_mark.line + 1, key=format_key(path)
        )

    def _record(self, path: KeyPath, doc: _Doc, node: Node) -> None:
        if not doc.secrets:
            self.locations[path] = Location(doc.file, node.start_mark.line + 1)

    def _count(self, node: Node, path: KeyPath, doc: _Doc) -> None:
        """Charge one value against the budget that bounds alias expansion ("billion laughs")."""
        self._values += 1
        if self._values > MAX_VALUES:
            raise self._fail(node, path, doc, f"more than {MAX_VALUES} values (YAML aliases?)")
        if len(path) > MAX_NESTING:
            raise self._fail(node, path, doc, f"nested more than {MAX_NESTING} levels deep")

    def _convert(self, node: Node, path: KeyPath, doc: _Doc) -> Any:
        """The plain Python value of `node`."""
        self._count(node, path, doc)
        tag = node.tag
        if tag in _OUR_TAGS:
            if doc.secrets:
                raise self._fail(node, path, doc, f"{tag} cannot be used in secrets.yaml")
            if tag == "!secret":
                return self._secret(node, path, doc)
            if tag == "!include":
                return self._include(node, path, doc)
            return self._env_var(node, path, doc)
        if isinstance(node, ScalarNode) and tag in _TEXT_TAGS:
            return node.value
        if isinstance(node, ScalarNode) and tag in _SCALAR_KINDS:
            return self._scalar(node, path, doc)
        if not (
            (isinstance(node, MappingNode) and tag == _MAP)
            or (isinstance(node, SequenceNode) and tag == _SEQ)
        ):
            allowed = ", ".join(_OUR_TAGS)
            shown = "!!" + tag.removeprefix(_YAML) if tag.startswith(_YAML) else tag
            problem = f"unsupported tag '{show(shown)}' (allowed: {allowed})"
            raise self._fail(node, path, doc, problem)
        if id(node) in self._active:
            raise self._fail(node, path, doc, _SELF_REFERENCE)
        self._active.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self._mapping(node, path, doc)
            items = []
            for index, item in enumerate(node.value):
                self._record((*path, index), doc, item)
                items.append(self._convert(item, (*path, index), doc))
            return items
        finally:
            self._active.discard(id(node))

    def _scalar(self, node: ScalarNode, path: KeyPath, doc: _Doc) -> Any:
        """A plain scalar as PyYAML's safe constructor reads it: number, date, bool, null."""
        try:
            return self._constructor.construct_object(node)
        except (yaml.YAMLError, ValueError, OverflowError):
            kind = _SCALAR_KINDS[node.tag]
        raise self._fail(
            node, path, doc, f"cannot read this value as {kind}; quote it if it is text"
        )

    def _mapping(self, node: MappingNode, path: KeyPath, doc: _Doc) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, (key_node, value_node) in self._entries(node, path, doc).items():
            self._record((*path, key), doc, key_node)
            result[key] = self._convert(value_node, (*path, key), doc)
        return result

    def _entries(self, node: MappingNode, path: KeyPath, doc: _Doc) -> dict[str, tuple[Node, Node]]:
        """Key -> (key node, value node), with `<<` merges applied and duplicate keys refused."""
        explicit: dict[str, tuple[Node, Node]] = {}
        merged: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                for source in self._merge_sources(key_node, value_node, path, doc):
                    for key, pair in self._entries(source, path, doc).items():
                        merged.setdefault(key, pair)
                    self._active.discard(id(source))
                continue
            key = self._key(key_node, path, doc)
            if key in explicit:
                first = explicit[key][0].start_mark.line + 1
                problem = f"duplicate key (first written on line {first})"
                raise self._fail(key_node, (*path, key), doc, problem)
            explicit[key] = (key_node, value_node)
        return merged | explicit

    def _merge_sources(self, key: Node, node: Node, path: KeyPath, doc: _Doc) -> list[MappingNode]:
        """The mappings a `<<` key merges in; each is marked active until merged."""
        self._count(key, path, doc)
        sources = node.value if isinstance(node, SequenceNode) and node.tag == _SEQ else [node]
        for source in sources:
            if not (isinstance(source, MappingNode) and source.tag == _MAP):
                raise self._fail(key, path, doc, "<< (merge) needs a mapping or a list of mappings")
            if id(source) in self._active:
                raise self._fail(key, path, doc, _SELF_REFERENCE)
        self._active.update(id(source) for source in sources)
        return list(sources)

    def _key(self, node: Node, path: KeyPath, doc: _Doc) -> str:
        """A mapping key, which must be text."""
        if isinstance(node, ScalarNode) and node.tag in _TEXT_TAGS:
            return str(node.value)
        if isinstance(node, ScalarNode) and node.tag in _SCALAR_KINDS:
            kind = _SCALAR_KINDS[node.tag]
            shown = f"key '{show(node.value)}'" if node.value else "an empty key"
            problem = f"{shown} is read as {kind}, not text; put it in quotes"
            raise self._fail(node, path, doc, problem)
        raise self._fail(node, path, doc, "a key must be plain text")

    def _argument(self, node: Node, path: KeyPath, doc: _Doc, wanted: str) -> str:
        """The text after one of our tags."""
        value = node.value.strip() if isinstance(node, ScalarNode) else ""
        if not value or len(value) > 1024 or not value.isprintable():
            raise self._fail(node, path, doc, f"{node.tag} needs {wanted}")
        return str(value)

    def _secret(self, node: Node, path: KeyPath, doc: _Doc) -> Any:
        """`!secret NAME`: the value of NAME in secrets.yaml."""
        name = self._argument(node, path, doc, "the name of a secret from secrets.yaml")
        secrets = self._load_secrets(node, path, doc, name)
        if name not in secrets:
            problem = f"secret '{show(name)}' is not defined in {const.SECRETS_FILE}"
            raise self._fail(node, path, doc, problem)
        self.origins[path] = ("!secret", name)
        return secrets[name]

    def _load_secrets(self, node: Node, path: KeyPath, doc: _Doc, name: str) -> dict[str, Any]:
        """secrets.yaml from the config dir, read on first use."""
        if self._secrets is not None:
            return self._secrets
        secrets_doc = _Doc(const.SECRETS_FILE, 0, secrets=True)
        try:
            real, _display = confine(self._root, const.SECRETS_FILE)
            tree = self._document(real, secrets_doc)
        except UnusableFileError as exc:
            if exc.line is not None:
                raise exc.at(const.SECRETS_FILE) from None
            problem = f"secret '{show(name)}' is used but {const.SECRETS_FILE} {exc.reason}"
            if exc.reason == "does not exist":
                problem += " in the configuration directory"
            raise self._fail(node, path, doc, problem) from None
        data = None if tree is None else self._convert(tree, (), secrets_doc)
        if data is None:
            data = {}
        if not isinstance(data, dict):
            line = tree.start_mark.line + 1 if tree is not None else None
            problem = "the top level must be a mapping of secret names to values"
            raise ConfigError(problem, file=const.SECRETS_FILE, line=line)
        self._secrets = data
        return data

    def _include(self, node: Node, path: KeyPath, doc: _Doc) -> Any:
        """`!include FILE`: the contents of FILE, relative to the including file's directory."""
        name = self._argument(node, path, doc, "a file name")
        if doc.depth >= MAX_INCLUDE_DEPTH:
            problem = f"!include is nested more than {MAX_INCLUDE_DEPTH} files deep"
            raise self._fail(node, path, doc, problem)
        shown = f"!include '{show(name)}'"
        try:
            real, display = confine(self._root, posixpath.join(posixpath.dirname(doc.file), name))
        except UnusableFileError as exc:
            raise self._fail(node, path, doc, f"{shown} {exc.reason}") from None
        if real in self._including:
            problem = f"{shown} is already being included (an include loop)"
            raise self._fail(node, path, doc, problem)
        inner = _Doc(display, doc.depth + 1)
        try:
            tree = self._document(real, inner)
        except UnusableFileError as exc:
            if exc.line is not None:
                raise exc.at(display) from None
            raise self._fail(node, path, doc, f"{shown} {exc.reason}") from None
        if tree is None:
            return None
        self.locations[path] = Location(display, tree.start_mark.line + 1)
        self._including.add(real)
        try:
            return self._convert(tree, path, inner)
        finally:
            self._including.discard(real)

    def _env_var(self, node: Node, path: KeyPath, doc: _Doc) -> str:
        """`!env_var NAME [DEFAULT]`: the environment variable NAME, else DEFAULT."""
        wanted = "a variable name, optionally followed by a default value"
        name, *rest = self._argument(node, path, doc, wanted).split(None, 1)
        if not _ENV_NAME.fullmatch(name):
            raise self._fail(node, path, doc, f"!env_var needs {wanted}")
        value = os.environ.get(name, rest[0].strip() if rest else None)
        if value is None:
            problem = f"environment variable '{name}' is not set and has no default"
            raise self._fail(node, path, doc, problem)
        self.origins[path] = ("!env_var", name)
        return value


def read_configuration(config_dir: Path) -> LoadedConfig:
    """Read configuration.yaml from `config_dir` into plain data with key locations."""
    return _Reader(Path(os.path.realpath(config_dir))).read()
