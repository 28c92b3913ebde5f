"""The template subset MQTT discovery may use, parsed and evaluated by Hearth itself.

Threat: a template engine run on what a device sends (Jinja, as Home Assistant does) is code
execution waiting for a sandbox escape. Device data only ever reaches this parser, which knows
one expression form:

    {{ ROOT ACCESS* FILTER* }}

ROOT is a variable (`value_json` and `value` for what a device sends; `value`, `position` ...
for command templates); ACCESS is `.name`, `['name']`, `["name"]` or `[0]`; FILTER is `| float`,
`| int` or `| round(n)`. Text around the expressions is copied. Anything else is refused when
the discovery payload is read, so no entity is created with a template Hearth cannot evaluate.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import orjson

MAX_TEMPLATE: Final = 512  # characters
MAX_EXPRESSIONS: Final = 4
MAX_ACCESSES: Final = 16
MAX_FILTERS: Final = 4
MAX_ROUND: Final = 10
MAX_RESULT: Final = 255  # characters: a state is at most this long

_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_INDEX: Final = re.compile(r"\d{1,6}")
_ROUND: Final = re.compile(r"round\s*(?:\(\s*(\d{1,2})\s*\))?")
_STRING: Final = re.compile(r"""'([^'\\{}]{0,255})'|"([^"\\{}]{0,255})\"""")


class TemplateError(ValueError):
    """A template outside the subset (when parsed) or that cannot be applied (when evaluated)."""


class Missing:
    """What a template gives when the data lacks what it names (the message is ignored)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = Missing()


@dataclass(frozen=True, slots=True)
class Expression:
    """`root`, then keys or indexes, then filters ("float", "int", ("round", n))."""

    root: str
    path: tuple[str | int, ...]
    filters: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class Template:
    """Literal text and expressions, in order."""

    parts: tuple[str | Expression, ...]
    source: str

    @property
    def single(self) -> Expression | None:
        """The expression, when the template is nothing but one (its value keeps its type)."""
        if len(self.parts) == 1 and isinstance(self.parts[0], Expression):
            return self.parts[0]
        return None

    def evaluate(self, variables: Mapping[str, Any]) -> Any:
        """The value of a template that is one expression, else the rendered text; MISSING when
        the data lacks a key. TemplateError when a filter cannot convert the value."""
        single = self.single
        if single is not None:
            return _evaluate(single, variables)
        rendered: str | Missing = self.render(variables)
        return rendered

    def render(self, variables: Mapping[str, Any]) -> str | Missing:
        """The template as text (each expression's value written as Home Assistant writes it)."""
        pieces = []
        for part in self.parts:
            if isinstance(part, str):
                pieces.append(part)
                continue
            value = _evaluate(part, variables)
            if isinstance(value, Missing):
                return value
            pieces.append(as_text(value))
        text = "".join(pieces)
        if len(text) > MAX_RESULT:
            raise TemplateError(f"the result is longer than {MAX_RESULT} characters")
        return text


def as_text(value: Any) -> str:
    """A value as the text a template writes: True/False, 21.5, or JSON for objects."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float) or value is None:
        return str(value)
    return orjson.dumps(value).decode()


def parse(source: str, roots: frozenset[str]) -> Template:
    """A Template, or TemplateError saying what is outside the subset."""
    if len(source) > MAX_TEMPLATE:
        raise TemplateError(f"longer than {MAX_TEMPLATE} characters")
    if "{%" in source or "{#" in source:
        raise TemplateError("statements and comments ({% %}, {# #}) are not supported")
    parts: list[str | Expression] = []
    rest = source
    while rest:
        start = rest.find("{{")
        if start < 0:
            if "}}" in rest:
                raise TemplateError("'}}' without '{{'")
            parts.append(rest)
            break
        if "}}" in rest[:start]:
            raise TemplateError("'}}' without '{{'")
        if start:
            parts.append(rest[:start])
        end = rest.find("}}", start)
        if end < 0:
            raise TemplateError("'{{' without '}}'")
        parts.append(_expression(rest[start + 2 : end], roots))
        rest = rest[end + 2 :]
    if sum(isinstance(part, Expression) for part in parts) > MAX_EXPRESSIONS:
        raise TemplateError(f"more than {MAX_EXPRESSIONS} expressions")
    return Template(tuple(parts), source)


def _expression(text: str, roots: frozenset[str]) -> Expression:
    body = text.strip()
    # Jinja's whitespace control ({{- x -}}) changes only the surrounding whitespace.
    body = body.removeprefix("-").removesuffix("-").strip()
    head, *filters = body.split("|")
    root, path = _access(head.strip(), roots)
    if len(filters) > MAX_FILTERS:
        raise TemplateError(f"more than {MAX_FILTERS} filters")
    return Expression(root, path, tuple(_filter(item.strip()) for item in filters))


def _access(text: str, roots: frozenset[str]) -> tuple[str, tuple[str | int, ...]]:
    match = _NAME.match(text)
    if match is None or match.group() not in roots:
        allowed = ", ".join(sorted(roots))
        raise TemplateError(f"an expression must start with one of: {allowed}")
    root = match.group()
    position = match.end()
    path: list[str | int] = []
    while position < len(text):
        char = text[position]
        if char == ".":
            name = _NAME.match(text, position + 1)
            if name is None or name.group().startswith("__"):
                raise TemplateError("expected a name after '.'")
            path.append(name.group())
            position = name.end()
        elif char == "[":
            position = _subscript(text, position + 1, path)
        elif char.isspace():
            position += 1
        else:
            raise TemplateError("only .name, ['name'] and [number] may follow a variable")
        if len(path) > MAX_ACCESSES:
            raise TemplateError(f"more than {MAX_ACCESSES} keys")
    return root, tuple(path)


def _subscript(text: str, position: int, path: list[str | int]) -> int:
    while position < len(text) and text[position].isspace():
        position += 1
    string = _STRING.match(text, position)
    index = _INDEX.match(text, position)
    if string is not None:
        path.append(string.group(1) if string.group(1) is not None else string.group(2))
        position = string.end()
    elif index is not None:
        path.append(int(index.group()))
        position = index.end()
    else:
        raise TemplateError("expected ['name'] or [number]")
    while position < len(text) and text[position].isspace():
        position += 1
    if position >= len(text) or text[position] != "]":
        raise TemplateError("expected ']'")
    return position + 1


def _filter(text: str) -> tuple[str, int]:
    if text in ("float", "int"):
        return (text, 0)
    match = _ROUND.fullmatch(text)
    if match is not None:
        digits = int(match.group(1) or 0)
        if digits > MAX_ROUND:
            raise TemplateError(f"round() takes at most {MAX_ROUND} digits")
        return ("round", digits)
    raise TemplateError("the only filters are float, int and round(n)")


def _evaluate(expression: Expression, variables: Mapping[str, Any]) -> Any:
    if expression.root not in variables:
        return MISSING
    value = variables[expression.root]
    for key in expression.path:
        if isinstance(value, Mapping) and isinstance(key, str):
            if key not in value:
                return MISSING
            value = value[key]
        elif isinstance(value, list) and isinstance(key, int):
            if key >= len(value):
                return MISSING
            value = value[key]
        else:
            return MISSING
    for name, digits in expression.filters:
        value = _apply(name, digits, value)
    return value


def _number(value: Any) -> float:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and len(value) <= 64:
        try:
            return float(value.strip())
        except ValueError:
            pass
    raise TemplateError("the value is not a number")


def _apply(name: str, digits: int, value: Any) -> Any:
    number = _number(value)
    if not math.isfinite(number):
        raise TemplateError("the value is not a finite number")
    if name == "float":
        return number
    if name == "int":
        if abs(number) >= 2**63:
            raise TemplateError("the value is too large")
        return int(number)
    rounded = round(number, digits)
    return rounded
