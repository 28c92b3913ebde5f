"""`ssh`: the host's SSH server takes keys only and no root login (read-only, from sshd_config).

sshd reads its configuration top to bottom and keeps the first value it finds for a keyword;
`Include` pulls other files in where it stands (Debian: sshd_config.d/*.conf at the top), and
`Match` blocks override values for some connections only.

The hub's own SSH debug console has its rules (`ssh.debug_console*`) in debug_console.py.
"""

from __future__ import annotations

import glob
import os
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from hearth.check.context import DEFAULT_SSHD_CONFIG, CheckContext
from hearth.check.model import Check, Finding, NotChecked, Rule, Severity

_SEED = (
    'Securing checklist: "Set PermitRootLogin no in your sshd config (usually '
    '/etc/ssh/sshd_config) and to use SSH keys for authentication instead of passwords."'
)
_RELOAD = "then `systemctl reload ssh` (check first with `sshd -t`)"

ROOT_LOGIN = Rule(
    "ssh.permit_root_login",
    Severity.FAIL,
    "SSH lets root log in with a password",
    _SEED,
    "Write `PermitRootLogin no` in {file}, " + _RELOAD,
)
PASSWORD_AUTH = Rule(
    "ssh.password_authentication",
    Severity.WARN,
    "SSH accepts passwords",
    _SEED,
    "Once your key works (`ssh-copy-id`), write `PasswordAuthentication no` in {file}, " + _RELOAD,
)
KBD_INTERACTIVE = Rule(
    "ssh.kbd_interactive_authentication",
    Severity.WARN,
    "SSH accepts keyboard-interactive (PAM password) logins",
    _SEED,
    "Write `KbdInteractiveAuthentication no` in {file}, " + _RELOAD,
)
EMPTY_PASSWORDS = Rule(
    "ssh.permit_empty_passwords",
    Severity.FAIL,
    "SSH lets accounts with an empty password log in",
    _SEED,
    "Write `PermitEmptyPasswords no` in {file}, " + _RELOAD,
)

MAX_INCLUDE_DEPTH: Final = 16  # as sshd
MAX_LINES: Final = 100_000
_ALIASES: Final = {"challengeresponseauthentication": "kbdinteractiveauthentication"}
_SAFE_ROOT_LOGIN: Final = frozenset(
    {"no", "prohibit-password", "without-password", "forced-commands-only"}
)
# OpenSSH's defaults when a keyword is not set (sshd_config(5)).
DEFAULTS: Final = {
    "permitrootlogin": "prohibit-password",
    "passwordauthentication": "yes",
    "kbdinteractiveauthentication": "yes",
    "permitemptypasswords": "no",
    "usepam": "no",
}


@dataclass(frozen=True, slots=True)
class Setting:
    """One keyword's value and where it was written."""

    value: str
    file: str
    line: int
    match: str | None = None  # the Match line it sits under, if any


@dataclass(slots=True)
class SshdConfig:
    """The first value of each keyword outside Match blocks, and every value inside them."""

    settings: dict[str, Setting] = field(default_factory=dict)
    matched: list[tuple[str, Setting]] = field(default_factory=list)

    def get(self, keyword: str) -> Setting | None:
        """The effective global value, None when unset (OpenSSH's default applies)."""
        return self.settings.get(keyword)

    def value(self, keyword: str) -> str:
        """The effective global value, the default when unset."""
        setting = self.settings.get(keyword)
        return setting.value if setting is not None else DEFAULTS[keyword]


def parse(main: Path) -> SshdConfig:
    """Read `main` and what it includes (read-only); OSError if `main` cannot be read."""
    config = SshdConfig()
    _read(main, main.parent, config, depth=0, match=None)
    return config


def _read(path: Path, base: Path, config: SshdConfig, *, depth: int, match: str | None) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    for number, raw in enumerate(text.splitlines()[:MAX_LINES], start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _sep, rest = line.replace("=", " ", 1).partition(" ")
        keyword = _ALIASES.get(keyword.lower(), keyword.lower())
        try:
            args = shlex.split(rest, comments=True)
        except ValueError:
            args = rest.split()
        if keyword == "match":
            match = f"Match {' '.join(args)}"
            continue
        if keyword == "include" and depth < MAX_INCLUDE_DEPTH:
            for pattern in args:
                full = pattern if os.path.isabs(pattern) else str(base / pattern)
                for found in sorted(glob.glob(full)):
                    if os.path.isfile(found):
                        _read(Path(found), base, config, depth=depth + 1, match=match)
            continue
        if not args:
            continue
        setting = Setting(args[0].lower(), str(path), number, match)
        if match is not None:
            config.matched.append((keyword, setting))
        else:
            config.settings.setdefault(keyword, setting)


def findings(config: SshdConfig, main: str) -> Iterator[Finding]:
    """The rules broken by a parsed configuration (pure: the table tests call it directly)."""

    def where(setting: Setting | None, keyword: str) -> str:
        if setting is None:
            return f"{keyword} is not set, and OpenSSH's default is {DEFAULTS[keyword.lower()]}"
        inside = f" (in `{setting.match}`)" if setting.match else ""
        return f"{setting.file}, line {setting.line}: {keyword} {setting.value}{inside}"

    def target(setting: Setting | None) -> str:
        return setting.file if setting is not None else main

    def bad(keyword: str, value: str) -> bool:
        if keyword == "permitrootlogin":
            return value not in _SAFE_ROOT_LOGIN
        if keyword == "kbdinteractiveauthentication":
            # Without PAM, keyboard-interactive has nothing to ask on Linux.
            return value == "yes" and config.value("usepam") == "yes"
        return value == "yes"

    for rule, keyword, name in (
        (ROOT_LOGIN, "permitrootlogin", "PermitRootLogin"),
        (PASSWORD_AUTH, "passwordauthentication", "PasswordAuthentication"),
        (KBD_INTERACTIVE, "kbdinteractiveauthentication", "KbdInteractiveAuthentication"),
        (EMPTY_PASSWORDS, "permitemptypasswords", "PermitEmptyPasswords"),
    ):
        setting = config.get(keyword)
        if bad(keyword, config.value(keyword)):
            yield rule.found(where(setting, name), file=target(setting))
        for matched_keyword, matched in config.matched:
            if matched_keyword == keyword and bad(keyword, matched.value):
                yield rule.found(where(matched, name), file=matched.file)


def run(ctx: CheckContext) -> Iterator[Finding]:
    """Parse the configured sshd_config; no file at the default path means no SSH server."""
    path = ctx.host.sshd_config
    if path == DEFAULT_SSHD_CONFIG:
        path = ctx.path(str(DEFAULT_SSHD_CONFIG))
    try:
        config = parse(path)
    except FileNotFoundError:
        raise NotChecked(f"there is no {path} (no SSH server installed?)") from None
    except OSError as err:
        raise NotChecked(f"{path} cannot be read: {err.strerror}") from None
    yield from findings(config, str(path))


CHECK = Check(
    "ssh", "SSH server", (ROOT_LOGIN, PASSWORD_AUTH, KBD_INTERACTIVE, EMPTY_PASSWORDS), run
)
