"""Turn pydantic validation errors into one-line ConfigErrors naming file, line and key."""

from __future__ import annotations

import typing
from typing import Any

import annotated_types
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from hearth.config.paths import KeyPath, LoadedConfig, format_key, show
from hearth.config.schema import Config
from hearth.exceptions import ConfigError

# Messages are built from the error type and the schema only, never from the input value:
# the value may have come from secrets.yaml.
_EXPECTED = {
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "string_type": "expected text",
    "list_type": "expected a list",
    "dict_type": "expected a mapping of keys to values",
    "model_type": "expected a mapping of keys to values",
    "model_attributes_type": "expected a mapping of keys to values",
    "missing": "this key is required",
}
_NUMBER_ERRORS = frozenset(
    {
        "number_type",
        "int_type",
        "int_parsing",
        "int_parsing_size",
        "int_from_float",
        "float_type",
        "float_parsing",
        "finite_number",
        "greater_than",
        "greater_than_equal",
        "less_than",
        "less_than_equal",
    }
)


def _section_model(path: KeyPath) -> type[BaseModel] | None:
    """The schema model describing the mapping at `path`, if there is one."""
    model: type[BaseModel] = Config
    for part in path:
        field = model.model_fields.get(part) if isinstance(part, str) else None
        inner = _model_in(field.annotation) if field is not None else None
        if inner is None:
            return None
        model = inner
    return model


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model class in `annotation`, looking through `X | None`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _field(path: KeyPath) -> FieldInfo | None:
    """The schema field at `path`."""
    if not path or not isinstance(path[-1], str):
        return None
    model = _section_model(path[:-1])
    return model.model_fields.get(path[-1]) if model is not None else None


def _number_expectation(field: FieldInfo | None, error: ErrorDetails) -> str:
    """`expected an integer from 1 to 65535`, from the field's type and bounds."""
    kind = "an integer" if field is not None and field.annotation is int else "a number"
    if error["type"].startswith("int"):
        kind = "an integer"
    low = high = None
    for item in field.metadata if field is not None else ():
        if isinstance(item, annotated_types.Ge):
            low = item.ge
        elif isinstance(item, annotated_types.Le):
            high = item.le
    if low is not None and high is not None:
        return f"expected {kind} from {low} to {high}"
    if low is not None:
        return f"expected {kind} of at least {low}"
    if high is not None:
        return f"expected {kind} of at most {high}"
    return f"expected {kind}"


def _expectation(error: ErrorDetails, path: KeyPath) -> str:
    """What the schema expects at `path`, in words."""
    kind = error["type"]
    context = error.get("ctx", {})
    if kind in _NUMBER_ERRORS:
        return _number_expectation(_field(path), error)
    if kind in _EXPECTED:
        return _EXPECTED[kind]
    if kind == "literal_error":
        return f"expected {context['expected']}"
    if kind == "string_too_short":
        return f"expected at least {context['min_length']} character(s)"
    if kind == "string_too_long":
        return f"expected at most {context['max_length']} characters"
    if kind == "too_short":
        return f"expected a list of at least {context['min_length']} item(s)"
    if kind == "value_error":
        return str(context.get("error", "invalid value"))
    return "invalid value"


def _unknown_key(path: KeyPath, shown_key: str | None) -> str:
    """`unknown key 'foo' (allowed: a, b)` for an extra key at `path`."""
    model = _section_model(path[:-1])
    allowed = f" (allowed: {', '.join(sorted(model.model_fields))})" if model is not None else ""
    named = f" '{shown_key}'" if shown_key is not None else ""
    return f"unknown key{named}{allowed}"


def _problem(error: ErrorDetails, loaded: LoadedConfig) -> ConfigError:
    path: KeyPath = tuple(error["loc"])
    origin = loaded.origin(path)
    if error["type"] == "extra_forbidden":
        # A key inside a secret's value is part of the secret: do not name it.
        key = None if origin is not None and origin[1] == "!secret" else str(path[-1])
        problem = _unknown_key(path, show(key) if key is not None else None)
    else:
        problem = _expectation(error, path)
    return error_at(loaded, path, problem)


def error_at(loaded: LoadedConfig, path: KeyPath, problem: str) -> ConfigError:
    """A ConfigError about the value at `path`, naming the file and line where it was written."""
    origin = loaded.origin(path)
    if origin is not None:
        origin_path, tag, name = origin
        problem += f" (value from {tag} {show(name)})"
        if tag == "!secret":
            path = origin_path
    # A list made from a single string has no item [0] in the file: name the key instead.
    path, where = loaded.locate(path)
    return ConfigError(problem, file=where.file, line=where.line, key=format_key(path))


def validation_error(exc: ValidationError, loaded: LoadedConfig) -> ConfigError:
    """The first problem in `exc` (in file order) as a ConfigError."""
    errors = exc.errors(include_url=False, include_input=False)
    _, root = loaded.locate(())

    def order(error: ErrorDetails) -> tuple[bool, str, int]:
        _, where = loaded.locate(tuple(error["loc"]))
        return where.file != root.file, where.file, where.line

    return _problem(min(errors, key=order), loaded)
