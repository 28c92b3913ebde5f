"""Set keys in the `http:` section of configuration.yaml, leaving every other line as it was."""

from __future__ import annotations

import re
from typing import Any, Final

import yaml

_SECTION: Final = re.compile(r"^http[ \t]*:(?P<rest>.*?)\r?\n?$")
_PLAIN: Final = re.compile(r"[A-Za-z0-9_./][A-Za-z0-9_./@+-]*")
_COMMENT: Final = re.compile(r"^\s*(#.*)?$")  # blank or comment only


class CannotEdit(Exception):
    """The file is laid out in a way this editor will not touch; the user edits it by hand."""


def set_http_keys(text: str, values: dict[str, str]) -> str:
    """`text` with `http: <key>: <value>` set for each of `values`; other lines unchanged."""
    before = _parse(text)
    if before is None:
        before = {}
    if not isinstance(before, dict):
        raise CannotEdit("the top level is not a mapping of sections")
    http = before.get("http")
    if isinstance(http, tuple) and http[0] == "!include":
        raise CannotEdit(f"the http: section is included from {http[1]}; add the keys there")
    if http is not None and not isinstance(http, dict):
        raise CannotEdit("the http: section is not a mapping of keys")
    lines = text.splitlines(keepends=True)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += newline
    start = _find_section(lines)
    rendered = {key: _scalar(value) for key, value in values.items()}
    if start is None:
        if lines and not _COMMENT.match(lines[-1]):
            lines.append(newline)
        lines.append(f"http:{newline}")
        lines += [f"  {key}: {value}{newline}" for key, value in rendered.items()]
    else:
        _set_in_block(lines, start, rendered, newline)
    result = "".join(lines)
    try:
        after = _parse(result)
    except CannotEdit:
        after = None
    # The edit changed exactly the keys asked for, and nothing else.
    if after != {**before, "http": {**(http or {}), **values}}:
        raise CannotEdit("the http: section is laid out in a way this command cannot edit safely")
    return result


def _find_section(lines: list[str]) -> int | None:
    for index, line in enumerate(lines):
        match = _SECTION.match(line)
        if match is None:
            continue
        rest = match["rest"].strip()
        if rest and not rest.startswith("#"):
            raise CannotEdit("the http: section is not a plain block of keys (it is on one line)")
        return index
    return None


def _set_in_block(lines: list[str], start: int, values: dict[str, str], newline: str) -> None:
    """Replace or add `key: value` lines in the block that follows `lines[start]` (`http:`)."""
    end = start + 1
    last_content = start
    indent: str | None = None
    while end < len(lines):
        line = lines[end]
        if not _COMMENT.match(line):
            if not line[:1].isspace():
                break  # the next top-level key
            if indent is None:
                indent = line[: len(line) - len(line.lstrip(" "))]
                if not indent or line[len(indent)] == "\t":
                    raise CannotEdit("the http: section is indented with tabs")
            last_content = end
        end += 1
    indent = indent or "  "
    missing = dict(values)
    index = start + 1
    while index <= last_content:
        match = re.match(rf"^{re.escape(indent)}([A-Za-z_]+)[ \t]*:", lines[index])
        if match is not None and match[1] in missing:
            continue_to = _value_end(lines, index, last_content, indent)
            lines[index:continue_to] = [f"{indent}{match[1]}: {missing.pop(match[1])}{newline}"]
            last_content -= continue_to - index - 1
        index += 1
    added = [f"{indent}{key}: {value}{newline}" for key, value in missing.items()]
    lines[last_content + 1 : last_content + 1] = added


def _value_end(lines: list[str], index: int, last: int, indent: str) -> int:
    """One past the last line of the value that starts on `lines[index]` (nested lines)."""
    end = index + 1
    while end <= last:
        line = lines[end]
        if not _COMMENT.match(line) and not line.startswith(indent + " "):
            break
        end += 1
    # Trailing comments and blank lines belong to what follows, not to this value.
    while end - 1 > index and _COMMENT.match(lines[end - 1]):
        end -= 1
    return end


def _scalar(value: str) -> str:
    """A YAML scalar for `value`: plain when that is unambiguous, else double-quoted."""
    if _PLAIN.fullmatch(value) and not value.endswith(":"):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


class _AnyTagLoader(yaml.SafeLoader):
    """Reads Hearth's !secret/!include/!env_var (and any tag) as plain markers."""


def _tagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return ("!" + suffix, loader.construct_scalar(node))
    return ("!" + suffix, repr(node.value))


_AnyTagLoader.add_multi_constructor("!", _tagged)


def _parse(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_AnyTagLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise CannotEdit(f"the file is not valid YAML{where}") from None
