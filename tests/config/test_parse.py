"""compose: safe YAML to nodes; syntax errors are one line, and hide details for secrets."""

from __future__ import annotations

import pytest
import yaml
from yaml.nodes import MappingNode

from hearth.config import parse
from hearth.config.parse import MAX_NESTING, HearthLoader, compose
from hearth.exceptions import ConfigError


def test_compose_mapping() -> None:
    """A document becomes a node tree with line marks."""
    node = compose("a: 1\nb:\n  c: x\n", "f.yaml")
    assert isinstance(node, MappingNode)
    assert [key.start_mark.line for key, _ in node.value] == [0, 1]


@pytest.mark.parametrize("text", ["", "# comment\n", "\n\n"])
def test_compose_empty(text: str) -> None:
    """An empty document has no node."""
    assert compose(text, "f.yaml") is None


def test_loader_is_safe() -> None:
    """The loader is a SafeLoader: Python tags are not constructed."""
    assert issubclass(HearthLoader, yaml.SafeLoader)
    with pytest.raises(yaml.constructor.ConstructorError):
        yaml.load("!!python/object/apply:os.getcwd []", Loader=HearthLoader)  # noqa: S506


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: [1\n", "f.yaml, line 2: invalid YAML (expected ',' or ']', but got '<stream end>')"),
        ("a: 'x\n", "f.yaml, line 2: invalid YAML (found unexpected end of stream)"),
        ("a: *nope\n", "f.yaml, line 1: invalid YAML (found undefined alias 'nope')"),
        ("a: &x 1\nb: &x 2\n", "f.yaml, line 2: invalid YAML (found duplicate anchor 'x')"),
        ("a: 1\n---\nb: 2\n", "f.yaml, line 2: invalid YAML (expected a single document in the "
         "stream, but found another document)"),
        ("a: \x00\n", "f.yaml, line 1: invalid YAML (a control character that YAML does not "
         "allow)"),
        ("a: " + "[" * (MAX_NESTING + 1), f"f.yaml, line 1: invalid YAML (nested more than "
         f"{MAX_NESTING} levels deep)"),
    ],
)  # fmt: skip
def test_syntax_errors(text: str, message: str) -> None:
    """Each syntax error is one line with file and line."""
    with pytest.raises(ConfigError) as info:
        compose(text, "f.yaml")
    assert str(info.value) == message
    assert info.value.__context__ is None


def test_too_many_values(monkeypatch: pytest.MonkeyPatch) -> None:
    """A document with more than MAX_VALUES nodes is refused while it is being parsed."""
    monkeypatch.setattr(parse, "MAX_VALUES", 10)
    with pytest.raises(ConfigError) as info:
        compose("- 1\n" * 20, "f.yaml")
    assert str(info.value) == "f.yaml, line 10: invalid YAML (more than 10 values)"


def test_syntax_error_details_hidden_for_secrets() -> None:
    """PyYAML quotes the text near an error; for secrets.yaml only the line is given."""
    with pytest.raises(ConfigError) as info:
        compose("token: abc\nkey: *TopSecretValue\n", "secrets.yaml", hide_details=True)
    assert str(info.value) == (
        "secrets.yaml, line 2: invalid YAML (details hidden because this file holds secrets)"
    )
