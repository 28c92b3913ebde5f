"""What the checks look at: the config dir, the configuration, the accounts, the host."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal, TypeVar

from hearth import const
from hearth.check.accounts_db import Accounts, read_accounts
from hearth.check.model import NotChecked
from hearth.config.paths import LoadedConfig
from hearth.config.schema import Config
from hearth.exceptions import ConfigError

DEFAULT_SSHD_CONFIG: Final = Path("/etc/ssh/sshd_config")

T = TypeVar("T")
Where = Literal["cli", "hub"]


@dataclass(frozen=True, slots=True)
class Host:
    """Facts about the machine, overridable so that tests can hand in crafted ones."""

    root: Path = Path("/")  # where /proc, /etc and /run are read
    sshd_config: Path = DEFAULT_SSHD_CONFIG
    euid: int = field(default_factory=os.geteuid)
    python: tuple[int, int] = (sys.version_info.major, sys.version_info.minor)
    lock_file: Path | None = None  # None: requirements.lock of the source checkout, if any
    hub_uid: int | None = None  # the hub's user, when known (the hub itself knows it)


@dataclass(frozen=True, slots=True)
class Options:
    """How much to check."""

    probe: bool = False  # request the hub's own URL (`--probe`)
    offline: bool = False  # do not ask the vulnerability database (`--offline`)
    fast_only: bool = False  # only the checks that read local files (the hub's start-up)
    audit_timeout: float = 120.0  # seconds for pip-audit
    # Extra environment for pip-audit (tests point it at an unreachable proxy).
    audit_env: Mapping[str, str] = field(default_factory=dict)


class CheckContext:
    """Everything a check may read, each piece loaded once, on first use."""

    def __init__(
        self,
        config_dir: Path,
        *,
        where: Where = "cli",
        now: datetime | None = None,
        host: Host | None = None,
        options: Options | None = None,
    ) -> None:
        self.config_dir = Path(os.path.abspath(config_dir))
        self.shown_dir = str(config_dir)  # as the user wrote it, for the commands in fixes
        self.where: Where = where
        self.now = now or datetime.now(UTC)
        self.host = host or Host()
        self.options = options or Options()
        self._memo: dict[str, tuple[bool, Any]] = {}
        self._config_error: str | None = None

    def _once(self, name: str, load: Callable[[], T]) -> T:
        """`load()` the first time, its value or its NotChecked every later time."""
        if name not in self._memo:
            try:
                self._memo[name] = (True, load())
            except NotChecked as err:
                self._memo[name] = (False, err)
        ok, value = self._memo[name]
        if not ok:
            raise value
        result: T = value
        return result

    @property
    def config(self) -> Config:
        """The validated configuration; NotChecked when it cannot be loaded."""
        return self._once("config", self._load_config)

    def _load_config(self) -> Config:
        from hearth.config import load_config

        try:
            return load_config(self.config_dir)
        except ConfigError as err:
            # ConfigError messages name file, line and key, never a value (values may be secret).
            self._config_error = err.message
        raise NotChecked("the configuration cannot be loaded (see config.invalid)")

    @property
    def config_problem(self) -> str | None:
        """The one-line error of an invalid configuration, or None."""
        try:
            self.config  # noqa: B018 - loads it
        except NotChecked:
            return self._config_error
        return None

    @property
    def loaded(self) -> LoadedConfig:
        """configuration.yaml and its includes as plain data with key locations and tags."""
        return self._once("loaded", self._read)

    def _read(self) -> LoadedConfig:
        from hearth.config.loader import read_configuration

        if not (self.config_dir / const.CONFIG_FILE).is_file():
            raise NotChecked(f"there is no {const.CONFIG_FILE}")
        try:
            return read_configuration(self.config_dir)
        except ConfigError:
            raise NotChecked("the configuration cannot be read (see config.invalid)") from None

    @property
    def accounts(self) -> Accounts:
        """Users and long-lived tokens from hearth.db, read-only."""
        return self._once("accounts", lambda: read_accounts(self.config_dir))

    def path(self, absolute: str) -> Path:
        """A host path such as /proc/net/if_inet6 below `host.root`."""
        return self.host.root / absolute.lstrip("/")

    def hub_owner(self) -> tuple[int, str]:
        """The user id the hub runs as, and how that is known."""
        if self.host.hub_uid is not None:
            return self.host.hub_uid, "the hub's own user"
        database = self.config_dir / const.DATABASE_FILE
        for path, why in (
            (database, f"the owner of {const.DATABASE_FILE}, which the hub created"),
            (self.config_dir, "the owner of the configuration directory"),
        ):
            try:
                return path.stat().st_uid, why
            except OSError:
                continue
        return self.host.euid, "the user running this check"
