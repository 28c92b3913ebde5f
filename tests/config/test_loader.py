"""read_configuration: tags, key locations and the bounds that keep hostile YAML cheap."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hearth.config.loader import MAX_INCLUDE_DEPTH, read_configuration
from hearth.config.parse import MAX_NESTING, MAX_VALUES
from hearth.config.paths import Location
from hearth.exceptions import ConfigError
from tests.config.conftest import WriteFiles


def _error(config_dir: Path) -> str:
    with pytest.raises(ConfigError) as info:
        read_configuration(config_dir)
    return str(info.value)


def test_locations_of_keys_and_items(config_dir: Path, write_files: WriteFiles) -> None:
    """Every key and list item is located at its line, inside included files too."""
    write_files(
        {
            "configuration.yaml": "# hub\nhomeassistant:\n  name: Home\nhttp: !include http.yaml\n",
            "http.yaml": "\nserver_host:\n  - 10.0.0.1\n  - 10.0.0.2\n",
        }
    )
    loaded = read_configuration(config_dir)
    assert loaded.data == {
        "homeassistant": {"name": "Home"},
        "http": {"server_host": ["10.0.0.1", "10.0.0.2"]},
    }
    assert loaded.locations[("homeassistant", "name")] == Location("configuration.yaml", 3)
    assert loaded.locations[("http",)] == Location("http.yaml", 2)
    assert loaded.locations[("http", "server_host", 1)] == Location("http.yaml", 4)
    assert loaded.locate(("http", "server_host", 1, "x")) == (
        ("http", "server_host", 1),
        Location("http.yaml", 4),
    )


def test_origins_record_tags(
    config_dir: Path, write_files: WriteFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Values from !secret and !env_var are marked, so errors can say where they came from."""
    monkeypatch.setenv("HEARTH_TEST_PORT", "1")
    write_files(
        {
            "configuration.yaml": "http:\n  server_port: !env_var HEARTH_TEST_PORT\n"
            "  server_host: !secret hosts\n",
            "secrets.yaml": "hosts: [a, b]\n",
        }
    )
    loaded = read_configuration(config_dir)
    assert loaded.origin(("http", "server_host", 1)) == (
        ("http", "server_host"),
        "!secret",
        "hosts",
    )
    assert loaded.origin(("http", "server_port")) == (
        ("http", "server_port"),
        "!env_var",
        "HEARTH_TEST_PORT",
    )
    assert loaded.origin(("http",)) is None


def test_same_file_may_be_included_twice(config_dir: Path, write_files: WriteFiles) -> None:
    """Including one file in two places is not a loop."""
    write_files(
        {"configuration.yaml": "a: !include x.yaml\nb: !include x.yaml\n", "x.yaml": "[1]\n"}
    )
    assert read_configuration(config_dir).data == {"a": [1], "b": [1]}


def test_include_depth_is_bounded(config_dir: Path, write_files: WriteFiles) -> None:
    """A chain of includes deeper than MAX_INCLUDE_DEPTH is refused."""
    files: dict[str, str | bytes] = {"configuration.yaml": "a: !include f1.yaml\n"}
    for number in range(1, MAX_INCLUDE_DEPTH + 2):
        files[f"f{number}.yaml"] = f"!include f{number + 1}.yaml\n"
    write_files(files)
    assert _error(config_dir) == (
        f"f{MAX_INCLUDE_DEPTH}.yaml, line 1: a: !include is nested more than "
        f"{MAX_INCLUDE_DEPTH} files deep"
    )


def test_include_depth_limit_itself_is_allowed(config_dir: Path, write_files: WriteFiles) -> None:
    """Exactly MAX_INCLUDE_DEPTH levels of include work."""
    files: dict[str, str | bytes] = {"configuration.yaml": "a: !include f1.yaml\n"}
    for number in range(1, MAX_INCLUDE_DEPTH):
        files[f"f{number}.yaml"] = f"!include f{number + 1}.yaml\n"
    files[f"f{MAX_INCLUDE_DEPTH}.yaml"] = "done\n"
    write_files(files)
    assert read_configuration(config_dir).data == {"a": "done"}


def test_billion_laughs_is_bounded(config_dir: Path, write_files: WriteFiles) -> None:
    """Aliases that expand exponentially stop at MAX_VALUES instead of eating memory."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 9):
        refs = ", ".join([f"*a{level - 1}"] * 10)
        lines.append(f"a{level}: &a{level} [{refs}]")
    write_files({"configuration.yaml": "\n".join(lines) + "\n"})
    message = _error(config_dir)
    assert message.endswith(f": more than {MAX_VALUES} values (YAML aliases?)")


def test_self_referencing_alias(config_dir: Path, write_files: WriteFiles) -> None:
    """An alias inside the value it names is refused, not followed forever."""
    write_files({"configuration.yaml": "a: &x\n  - *x\n"})
    assert _error(config_dir) == (
        "configuration.yaml, line 1: a[0]: a YAML alias refers to a value that contains it"
    )


def test_self_referencing_merge(config_dir: Path, write_files: WriteFiles) -> None:
    """A mapping that merges itself in is refused."""
    write_files({"configuration.yaml": "a: &x\n  b: 1\n  <<: *x\n"})
    assert _error(config_dir) == (
        "configuration.yaml, line 3: a: a YAML alias refers to a value that contains it"
    )


def test_merge_needs_mappings(config_dir: Path, write_files: WriteFiles) -> None:
    """`<<` with anything but mappings is an error."""
    write_files({"configuration.yaml": "http:\n  <<: [1]\n"})
    assert _error(config_dir) == (
        "configuration.yaml, line 2: http: << (merge) needs a mapping or a list of mappings"
    )


@pytest.mark.parametrize("depth", [MAX_NESTING + 1, 5000, (1 << 20) - 16])
def test_nesting_is_bounded(config_dir: Path, write_files: WriteFiles, depth: int) -> None:
    """Values nested deeper than MAX_NESTING are refused early, however deep the file goes."""
    write_files({"configuration.yaml": "a: " + "[" * depth})
    assert _error(config_dir) == (
        f"configuration.yaml, line 1: invalid YAML (nested more than {MAX_NESTING} levels deep)"
    )


def test_nesting_is_allowed_up_to_the_bound(config_dir: Path, write_files: WriteFiles) -> None:
    """MAX_NESTING levels below a top-level key are fine."""
    depth = MAX_NESTING - 1
    write_files({"configuration.yaml": "a: " + "[" * depth + "]" * depth})
    assert read_configuration(config_dir).data["a"] is not None


def test_nesting_through_aliases_is_bounded(config_dir: Path, write_files: WriteFiles) -> None:
    """Aliases cannot build deeper values than the parser allows."""
    lines = ["a0: &a0 [x]"] + [f"a{n}: &a{n} [*a{n - 1}]" for n in range(1, MAX_NESTING + 2)]
    write_files({"configuration.yaml": "\n".join(lines) + "\n"})
    assert _error(config_dir).endswith(f": nested more than {MAX_NESTING} levels deep")


def test_secret_values_are_not_located(config_dir: Path, write_files: WriteFiles) -> None:
    """secrets.yaml keys never become configuration locations."""
    write_files({"configuration.yaml": "a: !secret s\n", "secrets.yaml": "s: {k: v}\n"})
    loaded = read_configuration(config_dir)
    assert loaded.data == {"a": {"k": "v"}}
    assert all(location.file == "configuration.yaml" for location in loaded.locations.values())


def test_secrets_file_is_read_once(config_dir: Path, write_files: WriteFiles) -> None:
    """Several secrets come from one read of secrets.yaml."""
    write_files(
        {"configuration.yaml": "a: !secret s\nb: !secret t\n", "secrets.yaml": "s: 1\nt: 2\n"}
    )
    assert read_configuration(config_dir).data == {"a": 1, "b": 2}


def test_key_must_be_text(config_dir: Path, write_files: WriteFiles) -> None:
    """A mapping or a list is not a key."""
    write_files({"configuration.yaml": "http:\n  ? [a]\n  : 1\n"})
    assert _error(config_dir) == "configuration.yaml, line 2: http: a key must be plain text"


def test_env_var_with_default_keeps_inner_spaces(
    config_dir: Path, write_files: WriteFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default is everything after the name."""
    monkeypatch.delenv("HEARTH_TEST_UNSET", raising=False)
    write_files({"configuration.yaml": "a: !env_var HEARTH_TEST_UNSET  two  words \n"})
    assert read_configuration(config_dir).data == {"a": "two  words"}


def test_env_var_set_to_empty_string(
    config_dir: Path, write_files: WriteFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A variable that is set, even to "", wins over the default."""
    monkeypatch.setenv("HEARTH_TEST_EMPTY", "")
    write_files({"configuration.yaml": "a: !env_var HEARTH_TEST_EMPTY fallback\n"})
    assert read_configuration(config_dir).data == {"a": ""}


def test_fifo_is_not_opened_for_reading(config_dir: Path, write_files: WriteFiles) -> None:
    """A FIFO planted as an include is refused at once instead of blocking the loader."""
    os.mkfifo(config_dir / "pipe.yaml")
    write_files({"configuration.yaml": "a: !include pipe.yaml\n"})
    assert _error(config_dir) == (
        "configuration.yaml, line 1: a: !include 'pipe.yaml' is not a regular file"
    )


def test_included_file_too_large(config_dir: Path, write_files: WriteFiles) -> None:
    """Included files have the same size limit."""
    write_files({"configuration.yaml": "a: !include big.yaml\n", "big.yaml": "#" * (2 << 20)})
    assert _error(config_dir) == (
        "configuration.yaml, line 1: a: !include 'big.yaml' is larger than 1 MiB"
    )
