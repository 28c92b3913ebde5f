"""Configuration: configuration.yaml with !secret, !include and !env_var, validated by a schema."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from hearth import const
from hearth.config.errors import error_at, validation_error
from hearth.config.loader import read_configuration
from hearth.config.paths import KeyPath, LoadedConfig, parse_key, show
from hearth.config.scaffold import write_demo_config
from hearth.config.schema import Config, CoreSection, DemoSection, HttpSection
from hearth.config.tls_fields import CONFIG_DIR_CONTEXT
from hearth.exceptions import ConfigError

__all__ = [
    "Config",
    "ConfigError",
    "ConfigFile",
    "CoreSection",
    "DemoSection",
    "HttpSection",
    "load_config",
    "read_config",
    "write_demo_config",
]


@dataclass(frozen=True, slots=True)
class ConfigFile:
    """A validated configuration, the files it was read from and where each key was written."""

    config: Config
    loaded: LoadedConfig

    def error(self, path: KeyPath, problem: str) -> ConfigError:
        """A one-line error (or warning) about the key at `path`, with its file and line."""
        return error_at(self.loaded, path, problem)

    def located(self, err: ConfigError) -> ConfigError:
        """`err` with the file and line of its key, when that key is written in the files."""
        if err.key is None or err.line is not None or err.file not in (None, const.CONFIG_FILE):
            return err
        path = parse_key(err.key)
        if path not in self.loaded.locations:
            return err  # a default: there is no line to show
        return self.error(path, err.problem)


def load_config(config_dir: Path) -> Config:
    """Read and validate configuration.yaml in `config_dir`; raise a one-line ConfigError."""
    return read_config(config_dir).config


def read_config(config_dir: Path) -> ConfigFile:
    """Read and validate configuration.yaml in `config_dir`, keeping where each key was written."""
    if not os.path.lexists(config_dir / const.CONFIG_FILE):
        shown = show(str(config_dir), 200)
        if config_dir.is_dir():
            missing = f"not found in {shown}"
        elif os.path.lexists(config_dir):
            missing = f"the configuration directory {shown} is not a directory"
        else:
            missing = f"the configuration directory {shown} does not exist"
        raise ConfigError(
            f"{missing}; run `hearth -c {shown} init-demo` to create a demo configuration, "
            "or create the file yourself",
            file=const.CONFIG_FILE,
        )
    loaded = read_configuration(config_dir)
    try:
        # The directory resolves relative file paths (http.ssl_certificate and friends).
        config = Config.model_validate(loaded.data, context={CONFIG_DIR_CONTEXT: config_dir})
    except ValidationError as exc:
        error = validation_error(exc, loaded)
    else:
        return ConfigFile(config, loaded)
    # Raised outside the except block so that pydantic's error, which quotes input values
    # (possibly secrets), is not attached as __context__.
    raise error
