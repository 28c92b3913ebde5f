"""Fuzz the configuration loader in-process: YAML text in, a Config or a one-line ConfigError out.

Contract (docs/fuzzing.md): whatever `configuration.yaml` (and the `secrets.yaml` and included
files beside it) hold, `load_config` returns a Config or raises ConfigError with a one-line
message naming the file — never another exception — and a Config it returns can be served:
`/api/config` (the hub's view of it) serialises.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from hearth.bootstrap import hub_config
from hearth.config import load_config
from hearth.config.schema import Config
from hearth.core.hub import CoreState
from hearth.exceptions import ConfigError
from hearth.http.view import json_bytes
from tests.fuzz.profiles import fuzz_settings, time_limit

pytestmark = pytest.mark.timeout(time_limit())


def schema_keys(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every key path the schema knows, sections included."""
    for name, field in model.model_fields.items():
        path = (*prefix, name)
        yield path
        for candidate in (field.annotation, *getattr(field.annotation, "__args__", ())):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                yield from schema_keys(candidate, path)


KEYS = sorted(schema_keys(Config))

# YAML scalars as written in a file: plain, quoted, tagged, special floats, huge numbers.
yaml_scalars = st.one_of(
    st.sampled_from(
        [
            "",
            "~",
            "null",
            "yes",
            "no",
            "on",
            "0",
            "-1",
            "0x1F",
            "0o17",
            "1_000",
            "1e3",
            ".inf",
            "-.inf",
            ".nan",
            "123456789012345678901234567890",
            "1e400",
            "2025-01-31",
            "12:30:00",
            "'quoted'",
            '"\\u0000"',
            '"\\x7f"',
            "!secret api_password",
            "!secret missing",
            "!include inc.yaml",
            "!include ../outside.yaml",
            "!include /etc/passwd",
            "!env_var HOME",
            "!env_var NOPE_NOT_SET fallback",
            "!env_var",
            "!!python/object:os.system",
            "!!binary aGVsbG8=",
            "&anchor 5",
            "*anchor",
            "*undefined",
            "[1, 2, [3]]",
            "{a: 1}",
            "[127.0.0.1, '::1', 10.0.0.0/8, 0.0.0.0/0]",
            "30m",
            "7d",
            "-5s",
            "modern",
            "Europe/Amsterdam",
            "'0.0.0.0'",
            "|\n    multi\n    line",
        ]
    ),
    st.integers().map(str),
    st.floats().map(repr),
    st.text(max_size=20).map(lambda value: yaml.safe_dump(value, default_style='"').strip()),
)


def render(entries: list[tuple[tuple[str, ...], str]]) -> str:
    """YAML text: each key path nested under its sections, in the order drawn (repeats kept)."""
    lines: list[str] = []
    for path, scalar in entries:
        for depth, name in enumerate(path[:-1]):
            lines.append("  " * depth + f"{name}:")
        indent = "  " * (len(path) - 1)
        value = scalar.replace("\n", "\n" + indent)
        lines.append(f"{indent}{path[-1]}: {value}")
    return "\n".join(lines) + "\n"


structured = st.lists(st.tuples(st.sampled_from(KEYS), yaml_scalars), max_size=8).map(render)
noise = st.sampled_from(
    ["\t", "\ufeff", "<<: *anchor", "---", "...", "%YAML 1.1", "? a", "- x", ": :", "{", "'"]
)


@st.composite
def documents(draw: st.DrawFn) -> str:
    """A configuration.yaml: structured from the schema, sometimes damaged, sometimes garbage."""
    kind = draw(st.sampled_from(["structured", "structured", "damaged", "garbage"]))
    if kind == "garbage":
        return draw(st.text(max_size=200))
    text = draw(structured)
    if kind == "damaged" and text:
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(noise) + text[at:]
    return text


def load(config_text: str, secrets: str | None, included: str | None) -> Config | ConfigError:
    """Load a config dir holding these files; the outcome, or the exception that escaped."""
    with tempfile.TemporaryDirectory() as tmp:
        config_dir = Path(tmp) / "config"
        config_dir.mkdir(mode=0o700)
        (config_dir / "configuration.yaml").write_text(
            config_text, encoding="utf-8", errors="surrogatepass"
        )
        if secrets is not None:
            (config_dir / "secrets.yaml").write_text(
                secrets, encoding="utf-8", errors="surrogatepass"
            )
        if included is not None:
            (config_dir / "inc.yaml").write_text(included, encoding="utf-8", errors="surrogatepass")
        try:
            return load_config(config_dir)
        except ConfigError as err:
            return err


def assert_contract(outcome: Config | ConfigError) -> None:
    """A one-line ConfigError naming a file, or a Config whose /api/config serialises."""
    if isinstance(outcome, ConfigError):
        message = str(outcome)
        assert message, "empty ConfigError"
        assert "\n" not in message, f"ConfigError of several lines: {message!r}"
        assert "Traceback" not in message
        assert ".yaml" in message or "configuration" in message, message
        assert outcome.__cause__ is None, f"ConfigError chained to {outcome.__cause__!r}"
        return
    served: dict[str, Any] = hub_config(outcome).as_dict([], CoreState.running)
    json_bytes(served)


secret_files = st.one_of(
    st.none(),
    st.just("api_password: hunter2\n"),
    structured,
    st.text(max_size=60),
)


@fuzz_settings(200)
@given(config_text=documents(), secrets=secret_files, included=st.one_of(st.none(), structured))
def test_loader_outcomes(config_text: str, secrets: str | None, included: str | None) -> None:
    assert_contract(load(config_text, secrets, included))


@fuzz_settings(20)
@given(
    key=st.sampled_from(["latitude", "longitude", "elevation"]),
    value=st.sampled_from(["123456789012345678901234567890", "1e308", "-1e308", ".inf", ".nan"]),
)
def test_numbers_the_api_cannot_serve(key: str, value: str) -> None:
    assert_contract(load(f"homeassistant:\n  {key}: {value}\n", None, None))
