"""Configuration: configuration.yaml with !secret, !include and !env_var, validated by a schema."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import ValidationError

from hearth import const
from hearth.config.errors import validation_error
from hearth.config.loader import read_configuration
from hearth.config.paths import show
from hearth.config.scaffold import write_demo_config
from hearth.config.schema import Config, CoreSection, DemoSection, HttpSection
from hearth.config.tls_fields import CONFIG_DIR_CONTEXT
from hearth.exceptions import ConfigError

__all__ = [
    "Config",
    "ConfigError",
    "CoreSection",
    "DemoSection",
    "HttpSection",
    "load_config",
    "write_demo_config",
]


def load_config(config_dir: Path) -> Config:
    """Read and validate configuration.yaml in `config_dir`; raise a one-line ConfigError."""
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
        return Config.model_validate(loaded.data, context={CONFIG_DIR_CONTEXT: config_dir})
    except ValidationError as exc:
        error = validation_error(exc, loaded)
    # Raised outside the except block so that pydantic's error, which quotes input values
    # (possibly secrets), is not attached as __context__.
    raise error
