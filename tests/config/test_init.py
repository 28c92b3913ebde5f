"""load_config: every bad configuration gives one exact line; good ones load."""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import NamedTuple

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hearth.config import (
    Config,
    ConfigError,
    DemoSection,
    HttpSection,
    load_config,
    read_config,
)
from hearth.config.files import MAX_FILE_SIZE
from tests.config.conftest import WriteFiles

SECRET = "Hunter2-Sup3r-S3cret-Value"
# Every key of `http:`, as the "allowed:" part of an unknown-key error lists them.
HTTP_KEYS = ", ".join(sorted(HttpSection.model_fields))


class Symlink(NamedTuple):
    """A symlink to create in the config dir, pointing at `target` (relative to the link)."""

    target: str


Files = dict[str, str | bytes | Symlink]


def _create(config_dir: Path, files: Files) -> None:
    for name, content in files.items():
        path = config_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Symlink):
            path.symlink_to(content.target)
        else:
            path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))


def _error(config_dir: Path) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_config(config_dir)
    return info.value


INVALID: list[tuple[str, Files, str]] = [
    (
        "bad_yaml",
        {"configuration.yaml": "homeassistant:\n  name: [Home\nhttp: {}\n"},
        "configuration.yaml, line 3: invalid YAML (expected ',' or ']', but got ':')",
    ),
    (
        "tab_indent",
        {"configuration.yaml": "homeassistant:\n\tname: Home\n"},
        "configuration.yaml, line 2: invalid YAML (found character '\\t' that cannot start any "
        "token)",
    ),
    (
        "two_documents",
        {"configuration.yaml": "http: {}\n---\ndemo:\n"},
        "configuration.yaml, line 2: invalid YAML (expected a single document in the stream, "
        "but found another document)",
    ),
    (
        "control_character",
        {"configuration.yaml": "homeassistant:\n  name: a\x01b\n"},
        "configuration.yaml, line 2: invalid YAML (a control character that YAML does not allow)",
    ),
    (
        "not_utf8",
        {"configuration.yaml": b"homeassistant:\n  name: caf\xe9\n"},
        "configuration.yaml, line 2: the file is not valid UTF-8 text",
    ),
    (
        "too_large",
        {"configuration.yaml": "#" * (MAX_FILE_SIZE + 1)},
        "configuration.yaml: the file is larger than 1 MiB",
    ),
    (
        "top_level_list",
        {"configuration.yaml": "- homeassistant\n- http\n"},
        "configuration.yaml, line 1: the top level must be a mapping of sections, such as "
        "`homeassistant:` and `http:`",
    ),
    (
        "unknown_top_level_key",
        {"configuration.yaml": "homeassistant:\n  name: Home\nlights: 3\n"},
        "configuration.yaml, line 3: lights: unknown key 'lights' (allowed: auth, debug_ssh, "
        "demo, homeassistant, http, mqtt, recorder)",
    ),
    (
        "unknown_nested_key",
        {"configuration.yaml": "http:\n  server_port: 8123\n  server_prot: 8124\n"},
        "configuration.yaml, line 3: http.server_prot: unknown key 'server_prot' (allowed: "
        f"{HTTP_KEYS})",
    ),
    (
        "wrong_type",
        {"configuration.yaml": "demo:\n  lights: many\n"},
        "configuration.yaml, line 2: demo.lights: expected an integer from 0 to 100000",
    ),
    (
        "bool_for_number",
        {"configuration.yaml": "demo:\n  lights: yes\n"},
        "configuration.yaml, line 2: demo.lights: expected an integer from 0 to 100000",
    ),
    (
        "section_not_mapping",
        {"configuration.yaml": "demo: 5\n"},
        "configuration.yaml, line 1: demo: expected a mapping of keys to values",
    ),
    (
        "port_out_of_range",
        {"configuration.yaml": "http:\n  server_port: 70000\n"},
        "configuration.yaml, line 2: http.server_port: expected an integer from 1 to 65535",
    ),
    (
        "port_zero",
        {"configuration.yaml": "http:\n  server_port: 0\n"},
        "configuration.yaml, line 2: http.server_port: expected an integer from 1 to 65535",
    ),
    (
        "latitude_out_of_range",
        {"configuration.yaml": "homeassistant:\n  latitude: 91.5\n"},
        "configuration.yaml, line 2: homeassistant.latitude: expected a number from -90 to 90",
    ),
    (
        "invalid_time_zone",
        {"configuration.yaml": "homeassistant:\n  time_zone: Mars/Olympus_Mons\n"},
        "configuration.yaml, line 2: homeassistant.time_zone: expected an IANA time zone name "
        "such as 'Europe/Amsterdam' or 'UTC'",
    ),
    (
        "time_zone_path_traversal",
        {"configuration.yaml": "homeassistant:\n  time_zone: ../../etc/passwd\n"},
        "configuration.yaml, line 2: homeassistant.time_zone: expected an IANA time zone name "
        "such as 'Europe/Amsterdam' or 'UTC'",
    ),
    (
        "unit_system",
        {"configuration.yaml": "homeassistant:\n  unit_system: imperial\n"},
        "configuration.yaml, line 2: homeassistant.unit_system: expected 'metric' or "
        "'us_customary'",
    ),
    (
        "name_too_long",
        {"configuration.yaml": f"homeassistant:\n  name: {'x' * 101}\n"},
        "configuration.yaml, line 2: homeassistant.name: expected at most 100 characters",
    ),
    (
        "invalid_host_in_list",
        {"configuration.yaml": "http:\n  server_host:\n    - 127.0.0.1\n    - bad host\n"},
        "configuration.yaml, line 4: http.server_host[1]: expected an IP address or a hostname",
    ),
    (
        "invalid_single_host",
        {"configuration.yaml": "http:\n  server_host: bad_host\n"},
        "configuration.yaml, line 2: http.server_host: expected an IP address or a hostname",
    ),
    (
        "no_hosts",
        {"configuration.yaml": "http:\n  server_host: []\n"},
        "configuration.yaml, line 2: http.server_host: expected a list of at least 1 item(s)",
    ),
    (
        "duplicate_key",
        {"configuration.yaml": "http:\n  server_port: 8123\n  server_port: 8124\n"},
        "configuration.yaml, line 3: http.server_port: duplicate key (first written on line 2)",
    ),
    (
        "duplicate_section",
        {"configuration.yaml": "demo:\nhttp: {}\ndemo:\n"},
        "configuration.yaml, line 3: demo: duplicate key (first written on line 1)",
    ),
    (
        "bool_key",
        {"configuration.yaml": "on: 1\n"},
        "configuration.yaml, line 1: key 'on' is read as true/false, not text; put it in quotes",
    ),
    (
        "python_tag",
        {"configuration.yaml": "http: !!python/object/apply:os.system [id]\n"},
        "configuration.yaml, line 1: http: unsupported tag '!!python/object/apply:os.system' "
        "(allowed: !secret, !include, !env_var)",
    ),
    (
        "invalid_date",
        {"configuration.yaml": "homeassistant:\n  name: 2024-13-45\n"},
        "configuration.yaml, line 2: homeassistant.name: cannot read this value as a date; quote "
        "it if it is text",
    ),
    (
        "missing_secret",
        {"configuration.yaml": "http:\n  server_port: !secret port\n", "secrets.yaml": "x: 1\n"},
        "configuration.yaml, line 2: http.server_port: secret 'port' is not defined in "
        "secrets.yaml",
    ),
    (
        "missing_secrets_file",
        {"configuration.yaml": "http:\n  server_port: !secret port\n"},
        "configuration.yaml, line 2: http.server_port: secret 'port' is used but secrets.yaml "
        "does not exist in the configuration directory",
    ),
    (
        "secret_without_name",
        {"configuration.yaml": "http:\n  server_port: !secret\n"},
        "configuration.yaml, line 2: http.server_port: !secret needs the name of a secret from "
        "secrets.yaml",
    ),
    (
        "secrets_file_symlinked_outside",
        {
            "configuration.yaml": "http:\n  server_port: !secret port\n",
            "secrets.yaml": Symlink("../outside.yaml"),
        },
        "configuration.yaml, line 2: http.server_port: secret 'port' is used but secrets.yaml "
        "points outside the configuration directory (through a symlink)",
    ),
    (
        "secrets_file_not_mapping",
        {"configuration.yaml": "http:\n  server_port: !secret port\n", "secrets.yaml": "- 1\n"},
        "secrets.yaml, line 1: the top level must be a mapping of secret names to values",
    ),
    (
        "tag_in_secrets_file",
        {
            "configuration.yaml": "http:\n  server_port: !secret port\n",
            "secrets.yaml": "port: !env_var PORT\n",
        },
        "secrets.yaml, line 1: port: !env_var cannot be used in secrets.yaml",
    ),
    (
        "include_escapes_with_dotdot",
        {"configuration.yaml": "http: !include ../outside.yaml\n"},
        "configuration.yaml, line 1: http: !include '../outside.yaml' points outside the "
        "configuration directory",
    ),
    (
        "include_escapes_from_subdir",
        {
            "configuration.yaml": "http: !include includes/http.yaml\n",
            "includes/http.yaml": "server_port: !include ../../outside.yaml\n",
        },
        "includes/http.yaml, line 1: http.server_port: !include '../../outside.yaml' points "
        "outside the configuration directory",
    ),
    (
        "include_escapes_with_symlink",
        {
            "configuration.yaml": "http: !include includes/link.yaml\n",
            "includes/link.yaml": Symlink("../../outside.yaml"),
        },
        "configuration.yaml, line 1: http: !include 'includes/link.yaml' points outside the "
        "configuration directory (through a symlink)",
    ),
    (
        "include_escapes_with_symlinked_dir",
        {
            "configuration.yaml": "http: !include shared/outside.yaml\n",
            "shared": Symlink(".."),
        },
        "configuration.yaml, line 1: http: !include 'shared/outside.yaml' points outside the "
        "configuration directory (through a symlink)",
    ),
    (
        "include_absolute_path",
        {"configuration.yaml": "http: !include /etc/passwd\n"},
        "configuration.yaml, line 1: http: !include '/etc/passwd' must be a path relative to the "
        "including file",
    ),
    (
        "include_missing_file",
        {"configuration.yaml": "homeassistant: {}\nhttp: !include http.yaml\n"},
        "configuration.yaml, line 2: http: !include 'http.yaml' does not exist",
    ),
    (
        "include_directory",
        {"configuration.yaml": "http: !include includes\n", "includes/a.yaml": "{}\n"},
        "configuration.yaml, line 1: http: !include 'includes' is not a regular file",
    ),
    (
        "include_loop",
        {
            "configuration.yaml": "http: !include a.yaml\n",
            "a.yaml": "!include b.yaml\n",
            "b.yaml": "!include a.yaml\n",
        },
        "b.yaml, line 1: http: !include 'a.yaml' is already being included (an include loop)",
    ),
    (
        "error_inside_included_file",
        {
            "configuration.yaml": "homeassistant:\n  name: x\nhttp: !include includes/http.yaml\n",
            "includes/http.yaml": "server_host: 127.0.0.1\nserver_port: 99999\n",
        },
        "includes/http.yaml, line 2: http.server_port: expected an integer from 1 to 65535",
    ),
    (
        "unknown_key_inside_included_file",
        {
            "configuration.yaml": "http: !include includes/http.yaml\n",
            "includes/http.yaml": "# http\n\nport: 1\n",
        },
        f"includes/http.yaml, line 3: http.port: unknown key 'port' (allowed: {HTTP_KEYS})",
    ),
    (
        "syntax_error_inside_included_file",
        {
            "configuration.yaml": "http: !include http.yaml\n",
            "http.yaml": "server_port: [1\n",
        },
        "http.yaml, line 2: invalid YAML (expected ',' or ']', but got '<stream end>')",
    ),
    (
        "env_var_missing_without_default",
        {"configuration.yaml": "http:\n  server_port: !env_var HEARTH_TEST_UNSET_PORT\n"},
        "configuration.yaml, line 2: http.server_port: environment variable "
        "'HEARTH_TEST_UNSET_PORT' is not set and has no default",
    ),
    (
        "env_var_bad_name",
        {"configuration.yaml": "http:\n  server_port: !env_var 1PORT\n"},
        "configuration.yaml, line 2: http.server_port: !env_var needs a variable name, "
        "optionally followed by a default value",
    ),
    (
        "env_var_default_wrong_type",
        {"configuration.yaml": "http:\n  server_port: !env_var HEARTH_TEST_UNSET_PORT web\n"},
        "configuration.yaml, line 2: http.server_port: expected an integer from 1 to 65535 (value "
        "from !env_var HEARTH_TEST_UNSET_PORT)",
    ),
]


@pytest.mark.parametrize(
    ("files", "message"),
    [pytest.param(files, message, id=name) for name, files, message in INVALID],
)
def test_invalid_configuration(
    config_dir: Path, monkeypatch: pytest.MonkeyPatch, files: Files, message: str
) -> None:
    """Each bad configuration gives exactly this one line."""
    monkeypatch.delenv("HEARTH_TEST_UNSET_PORT", raising=False)
    _create(config_dir, files)
    error = _error(config_dir)
    assert str(error) == message
    assert "\n" not in str(error)


def test_error_attributes_name_file_line_and_key(config_dir: Path) -> None:
    """The parts of the message are available to callers too."""
    _create(config_dir, {"configuration.yaml": "http:\n  server_port: 70000\n"})
    error = _error(config_dir)
    assert (error.file, error.line, error.key) == ("configuration.yaml", 2, "http.server_port")


def test_missing_configuration_file_suggests_init_demo(config_dir: Path) -> None:
    """No configuration.yaml: say how to make one."""
    message = str(_error(config_dir))
    assert message.startswith(f"configuration.yaml: not found in {config_dir}; ")
    assert f"hearth -c {config_dir} init-demo" in message


def test_missing_config_dir_suggests_init_demo(tmp_path: Path) -> None:
    """No config dir at all: say how to make one."""
    missing = tmp_path / "nowhere"
    message = str(_error(missing))
    assert message.startswith(f"configuration.yaml: the configuration directory {missing} ")
    assert "init-demo" in message


def test_config_dir_that_is_a_file(tmp_path: Path) -> None:
    """A file where the config dir should be is named as such."""
    (tmp_path / "config").write_text("", encoding="utf-8")
    message = str(_error(tmp_path / "config"))
    assert message.startswith(f"configuration.yaml: the configuration directory {tmp_path}")
    assert "is not a directory; run `hearth -c" in message


def test_configuration_symlinked_outside_is_refused(config_dir: Path) -> None:
    """configuration.yaml itself must not lead out of the config dir."""
    _create(config_dir, {"configuration.yaml": Symlink("../outside.yaml")})
    assert str(_error(config_dir)) == (
        "configuration.yaml: the file points outside the configuration directory (through a "
        "symlink)"
    )


@pytest.mark.parametrize("text", ["", "\n", "# only a comment\n", "---\n", "~\n"])
def test_empty_file_means_defaults(config_dir: Path, text: str) -> None:
    """An empty configuration is every default, without the demo."""
    _create(config_dir, {"configuration.yaml": text})
    assert load_config(config_dir) == Config()
    assert load_config(config_dir).demo is None


def test_bare_sections_mean_defaults(config_dir: Path) -> None:
    """`demo:` with no value loads the demo with its defaults; the same for other sections."""
    _create(config_dir, {"configuration.yaml": "homeassistant:\nhttp:\ndemo:\n"})
    config = load_config(config_dir)
    assert config == Config(demo=DemoSection())


def test_full_configuration(config_dir: Path) -> None:
    """Every key is read."""
    _create(
        config_dir,
        {
            "configuration.yaml": (
                "homeassistant:\n  name: Cottage\n  latitude: 52.37\n  longitude: 4.89\n"
                "  elevation: -2\n  time_zone: Europe/Amsterdam\n  unit_system: us_customary\n"
                "http:\n  server_host: [192.168.1.10, 'fe80::1', hub.local]\n  server_port: 8124\n"
                "demo:\n  lights: 10\n  switches: 0\n  sensors: 5\n  sensor_interval: 0.5\n"
            )
        },
    )
    config = load_config(config_dir)
    assert config.homeassistant.name == "Cottage"
    assert config.homeassistant.latitude == pytest.approx(52.37)
    assert config.homeassistant.elevation == -2
    assert config.homeassistant.time_zone == "Europe/Amsterdam"
    assert config.homeassistant.unit_system == "us_customary"
    assert config.http.server_host == ["192.168.1.10", "fe80::1", "hub.local"]
    assert config.http.server_port == 8124
    assert config.demo == DemoSection(lights=10, switches=0, sensors=5, sensor_interval=0.5)


def test_single_server_host_becomes_list(config_dir: Path) -> None:
    """`server_host: 127.0.0.1` is a one-item list."""
    _create(config_dir, {"configuration.yaml": "http:\n  server_host: 127.0.0.1\n"})
    assert load_config(config_dir).http.server_host == ["127.0.0.1"]


def test_include_works(config_dir: Path) -> None:
    """Included files are read relative to the including file, nested includes too."""
    _create(
        config_dir,
        {
            "configuration.yaml": "http: !include includes/http.yaml\ndemo: !include demo.yaml\n",
            "includes/http.yaml": "server_port: !include port.yaml\n",
            "includes/port.yaml": "8300\n",
            "demo.yaml": "",
        },
    )
    config = load_config(config_dir)
    assert config.http.server_port == 8300
    assert config.demo == DemoSection()


def test_include_through_symlink_inside_config_dir(config_dir: Path) -> None:
    """Symlinks are fine as long as they stay inside the config dir."""
    _create(
        config_dir,
        {
            "configuration.yaml": "http: !include current.yaml\n",
            "versions/v2.yaml": "server_port: 8200\n",
            "current.yaml": Symlink("versions/v2.yaml"),
        },
    )
    assert load_config(config_dir).http.server_port == 8200


def test_env_var(config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`!env_var NAME DEFAULT` uses the variable when set, else the default."""
    monkeypatch.setenv("HEARTH_TEST_PORT", "8400")
    monkeypatch.delenv("HEARTH_TEST_NAME", raising=False)
    _create(
        config_dir,
        {
            "configuration.yaml": (
                "homeassistant:\n  name: !env_var HEARTH_TEST_NAME My  Home\n"
                "http:\n  server_port: !env_var HEARTH_TEST_PORT 8123\n"
            )
        },
    )
    config = load_config(config_dir)
    assert config.homeassistant.name == "My  Home"
    assert config.http.server_port == 8400


def test_secrets_are_used(config_dir: Path) -> None:
    """`!secret NAME` takes the value from secrets.yaml, of any type."""
    _create(
        config_dir,
        {
            "configuration.yaml": (
                "homeassistant:\n  name: !secret home_name\n  latitude: !secret latitude\n"
                "http:\n  server_host: !secret hosts\n"
            ),
            "secrets.yaml": "home_name: Hidden Place\nlatitude: 51.5\nhosts: [10.0.0.2]\n",
        },
    )
    config = load_config(config_dir)
    assert config.homeassistant.name == "Hidden Place"
    assert config.homeassistant.latitude == 51.5
    assert config.http.server_host == ["10.0.0.2"]


def test_anchors_and_merge_keys(config_dir: Path) -> None:
    """Standard YAML anchors, aliases and `<<` merges work; explicit keys win."""
    _create(
        config_dir,
        {
            "configuration.yaml": (
                "http:\n  server_host: [&ip 10.0.0.1, *ip]\n"
                "demo:\n  <<: [{lights: 7, sensors: 1}, {switches: 9, lights: 8}]\n"
                "  sensors: 4\n"
            ),
        },
    )
    config = load_config(config_dir)
    assert config.http.server_host == ["10.0.0.1", "10.0.0.1"]
    assert config.demo == DemoSection(lights=7, switches=9, sensors=4)


SECRET_LEAKS: list[tuple[str, str, str]] = [
    ("port", "http:\n  server_port: !secret pw\n", f"pw: {SECRET}\n"),
    ("time_zone", "homeassistant:\n  time_zone: !secret pw\n", f"pw: {SECRET}\n"),
    ("host", "http:\n  server_host: !secret pw\n", f"pw: '{SECRET} x'\n"),
    ("host_item", "http:\n  server_host: [!secret pw]\n", f"pw: '{SECRET}/x'\n"),
    ("unit", "homeassistant:\n  unit_system: !secret pw\n", f"pw: {SECRET}\n"),
    ("latitude", "homeassistant:\n  latitude: !secret pw\n", f"pw: {SECRET}\n"),
    ("lights", "demo:\n  lights: !secret pw\n", f"pw: {SECRET}\n"),
    ("name_too_long", "homeassistant:\n  name: !secret pw\n", f"pw: {SECRET * 5}\n"),
    ("name_wrong_type", "homeassistant:\n  name: !secret pw\n", f"pw: [{SECRET}]\n"),
    ("section_wrong_type", "http: !secret pw\n", f"pw: {SECRET}\n"),
    ("unknown_key_in_secret", "http: !secret pw\n", f"pw:\n  {SECRET}: 1\n"),
    ("secrets_syntax", "http:\n  server_port: !secret pw\n", f"pw: {SECRET}\n  bad: [\n"),
    ("secrets_unclosed", "http:\n  server_port: !secret pw\n", f"pw: '{SECRET}\n"),
    ("secrets_tab", "http:\n  server_port: !secret pw\n", f"pw: {SECRET}\n\t{SECRET}: x\n"),
    ("secrets_control", "http:\n  server_port: !secret pw\n", f"pw: {SECRET}\x07\n"),
    ("secrets_date", "http:\n  server_port: !secret pw\n", "pw: 2024-99-99\n"),
    ("secrets_duplicate", "http:\n  server_port: !secret pw\n", f"pw: {SECRET}\npw: {SECRET}\n"),
    ("secrets_alias", "http:\n  server_port: !secret pw\n", f"pw: *{SECRET}\n"),
]


@pytest.mark.parametrize(
    ("configuration", "secrets"),
    [pytest.param(config, secrets, id=name) for name, config, secrets in SECRET_LEAKS],
)
def test_secret_value_never_appears_in_errors(
    config_dir: Path, configuration: str, secrets: str
) -> None:
    """No error, nor anything chained to it, shows a secret's value."""
    _create(config_dir, {"configuration.yaml": configuration, "secrets.yaml": secrets})
    error = _error(config_dir)
    rendered = "".join(traceback.format_exception(error))
    for shown in (str(error), repr(error), rendered):
        assert SECRET not in shown
    assert "2024-99-99" not in rendered
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__


def test_secret_errors_name_the_secret(config_dir: Path) -> None:
    """A bad secret value is reported at the tag, naming the secret but not its value."""
    _create(
        config_dir,
        {
            "configuration.yaml": "http:\n  server_port: !secret port\n",
            "secrets.yaml": f"port: {SECRET}\n",
        },
    )
    assert str(_error(config_dir)) == (
        "configuration.yaml, line 2: http.server_port: expected an integer from 1 to 65535 "
        "(value from !secret port)"
    )


# fmt: off
YAML_TOKENS = [
    "\n", "  ", ": ", "- ", "[", "]", "{", "}", ",", "'", '"', "#", "&a ", "*a", "<<: ", "? ",
    "!secret ", "!include ", "!env_var ", "!!python/name:os.system ", "!!binary ", "%TAG ",
    "---\n", "...\n", "homeassistant", "http", "demo", "name", "server_host", "server_port",
    "lights", "sensor_interval", "time_zone", "pw", "configuration.yaml", "secrets.yaml",
    "inc.yaml", "../outside.yaml", "HOME", "1", "-1.5e3", "70000", "yes", "~", "2024-13-45",
    "0x_", "\t", "\\",
]
# fmt: on
YAMLISH = st.lists(st.sampled_from(YAML_TOKENS) | st.text(max_size=4), max_size=40).map("".join)
KEYS = st.sampled_from(
    ["name", "latitude", "time_zone", "unit_system", "server_host", "server_port", "lights",
     "sensor_interval", "unknown"]
)  # fmt: skip
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(KEYS, children, max_size=3),
    max_leaves=8,
)
CONFIGS = st.dictionaries(
    st.sampled_from(["homeassistant", "http", "demo", "lights"]), VALUES, max_size=3
).map(lambda config: yaml.safe_dump(config).encode())


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    data=st.one_of(
        YAMLISH.map(str.encode),
        CONFIGS,
        st.text(st.characters(exclude_categories=["Cs"])).map(str.encode),
        st.binary(),
    )
)
def test_fuzz_loads_or_raises_config_error(
    config_dir: Path, write_files: WriteFiles, data: bytes
) -> None:
    """Whatever configuration.yaml holds, load_config returns a Config or raises ConfigError."""
    write_files({"configuration.yaml": data, "inc.yaml": data, "secrets.yaml": "pw: x\n"})
    try:
        load_config(config_dir)
    except ConfigError as error:
        message = str(error)
    else:
        return
    assert "\n" not in message


def test_start_up_errors_get_the_line_of_their_key(
    config_dir: Path, write_files: WriteFiles
) -> None:
    """A ConfigError raised later (binding a port) names the line of its key, when written."""
    write_files(
        {"configuration.yaml": "http:\n  server_host: [127.0.0.1]\n  server_port: !env_var P 8\n"}
    )
    config = read_config(config_dir)
    later = ConfigError("port 8 is in use", file="configuration.yaml", key="http.server_port")
    assert str(config.located(later)) == (
        "configuration.yaml, line 3: http.server_port: port 8 is in use (value from !env_var P)"
    )
    default = ConfigError("cannot use it", file="configuration.yaml", key="http.remote_access")
    assert config.located(default) is default  # not written: no line to name
    elsewhere = ConfigError("bad", file="tls/server.crt")
    assert config.located(elsewhere) is elsewhere
