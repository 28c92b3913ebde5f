"""Field types of the TLS keys in `http:` (certificate, key and client CA files, the profile)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, ValidationInfo
from pydantic_core import PydanticCustomError

# Messages never contain the path: it may come from secrets.yaml. The error names key and line.
CONFIG_DIR_CONTEXT = "config_dir"


def _text(value: Any) -> Any:
    """A file path is written as text; a number or a mapping is a mistake."""
    if isinstance(value, Path):
        return value
    if not isinstance(value, str):
        raise PydanticCustomError("string_type", "expected text")
    if not value.strip():
        raise ValueError("expected the path of a file")
    return value


def _existing_file(value: Path, info: ValidationInfo) -> Path:
    """Resolve against the configuration directory (when known) and require a regular file."""
    config_dir = (info.context or {}).get(CONFIG_DIR_CONTEXT)
    if config_dir is None:
        return value  # validated without a directory (tests, tools): no file system check
    # abspath, not resolve(): certbot's live/ files are symlinks that change on renewal, and
    # reloading must follow the link again each time.
    path = Path(os.path.abspath(Path(config_dir) / value.expanduser()))
    if not path.is_file():
        raise ValueError(
            "file not found (a relative path is relative to the configuration directory)"
        )
    return path


PemFile = Annotated[Path, BeforeValidator(_text), AfterValidator(_existing_file)]
TlsProfileName = Literal["modern", "intermediate"]


def check_tls_keys(
    certificate: Path | None, key: Path | None, peer: Path | None, *, acme: bool = False
) -> None:
    """Certificate and key come together; client certificates need TLS to be on."""
    if (certificate is None) != (key is None):
        raise ValueError("ssl_certificate and ssl_key go together: set both or neither")
    if peer is not None and certificate is None and not acme:
        raise ValueError(
            "ssl_peer_certificate needs TLS: set ssl_certificate and ssl_key (or acme:) as well"
        )
