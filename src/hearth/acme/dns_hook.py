"""dns-01: the owner's command sets and removes the TXT record (Hearth knows no DNS provider).

Called as `HOOK add DOMAIN RECORD VALUE` before the CA looks, and `HOOK remove DOMAIN RECORD
VALUE` afterwards, without a shell, with a small environment, from the configuration directory.
`add` must return only once the record is visible (the CA looks right after); a wildcard and its
base name need two records under the same name, so `add` adds, it does not replace.
"""

from __future__ import annotations

import logging
import os
import subprocess
from pathlib import Path
from typing import Final

from hearth import const
from hearth.acme.state import clean_reason

_LOGGER = logging.getLogger(__name__)
_KEPT_ENVIRONMENT: Final = ("PATH", "HOME", "LANG", "LC_ALL", "TZ")
_OUTPUT: Final = 2000  # characters of the hook's error output kept for the message


class HookFailed(Exception):
    """The hook exited with an error, timed out or could not be started."""


class DnsHook:
    """The configured `dns_hook` command."""

    def __init__(self, path: Path, timeout: float = const.ACME_DNS_HOOK_TIMEOUT) -> None:
        self._path = path
        self._timeout = timeout

    def run(self, action: str, domain: str, record: str, value: str) -> None:
        """Run `HOOK action domain record value`; HookFailed unless it exits with 0."""
        env = {name: os.environ[name] for name in _KEPT_ENVIRONMENT if name in os.environ}
        env.update(
            HEARTH_ACME_ACTION=action,
            HEARTH_ACME_DOMAIN=domain,
            HEARTH_ACME_RECORD=record,
            HEARTH_ACME_VALUE=value,
        )
        try:
            done = subprocess.run(  # noqa: S603 - the owner's own command, no shell, fixed args
                [str(self._path), action, domain, record, value],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=self._timeout,
                env=env,
                cwd=self._path.parent,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise HookFailed(
                f"dns_hook {self._path.name} {action} did not finish within "
                f"{self._timeout:.0f} seconds"
            ) from None
        except OSError as err:
            raise HookFailed(
                f"cannot run dns_hook {self._path}: {(err.strerror or str(err)).lower()}"
            ) from None
        if done.returncode != 0:
            said = clean_reason(done.stderr.decode("utf-8", "replace")[-_OUTPUT:])
            raise HookFailed(
                f"dns_hook {self._path.name} {action} {domain} exited with {done.returncode}"
                + (f": {said}" if said else "")
            )

    def run_quietly(self, action: str, domain: str, record: str, value: str) -> None:
        """Run the hook for clean-up; a failure is logged, not raised."""
        try:
            self.run(action, domain, record, value)
        except HookFailed as err:
            _LOGGER.warning("ACME: %s; remove the record %s by hand", err, record)
