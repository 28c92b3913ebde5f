"""`debug_console`: the SSH debug console's state, its key files, and who could reach it."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterator

from hearth.check.context import CheckContext
from hearth.check.model import Check, Finding, NotChecked, Rule, Severity
from hearth.debug_ssh.authorized import parse_keys
from hearth.debug_ssh.files import fix_command, keys_dir, problem, ssh_dir

_SOURCE = "Issue 15: an owner's console that is off by default, keys only, and local only"
_OFF = "Turn it off when you are done: `debug_ssh: enabled: false` in configuration.yaml"

ENABLED = Rule(
    "ssh.debug_console",
    Severity.INFO,
    "The SSH debug console is on",
    _SOURCE,
    _OFF,
)
EXPOSED = Rule(
    "ssh.debug_console_remote",
    Severity.WARN,
    "The SSH debug console can be reached from outside the local network",
    _SOURCE + "; every address that can connect can try keys and load the hub",
    "Turn http: remote_access off, or set `debug_ssh: server_host` to a LAN address; " + _OFF,
)
FILES = Rule(
    "ssh.debug_console_files",
    Severity.FAIL,
    "A key file of the SSH debug console is not private to the hub's user",
    _SOURCE + "; whoever can change a user's keys file can log in as that user",
    "Run `{fix}`; the console does not start until this is fixed",
)
KEYS = Rule(
    "ssh.debug_console_keys",
    Severity.WARN,
    "An authorized key of the SSH debug console is refused or cannot log in",
    _SOURCE,
    "Edit {path}: use Ed25519 keys (`ssh-keygen -t ed25519`), one per line, without options; "
    "only active administrators may log in",
)


def _public(hosts: list[str]) -> list[str]:
    """The listening hosts that are neither loopback nor private addresses."""
    public = []
    for host in hosts:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            continue  # a host name: where it points is not known here
        if not (address.is_loopback or address.is_private or address.is_unspecified):
            public.append(host)
    return public


def _files(ctx: CheckContext, uid: int) -> Iterator[Finding]:
    for folder in (ssh_dir(ctx.config_dir), keys_dir(ctx.config_dir)):
        try:
            reason = problem(os.lstat(folder), uid, directory=True)
        except OSError:
            continue
        if reason is not None:
            fix = fix_command(folder, reason, uid, directory=True)
            yield FILES.found(f"{folder} {reason}", fix=fix)
    directory = keys_dir(ctx.config_dir)
    try:
        names = sorted(os.listdir(directory))[:1000]
    except OSError:
        return
    try:
        admins: set[str] | None = {
            a.username for a in ctx.accounts.users if a.is_admin and a.is_active
        }
    except NotChecked:
        admins = None  # no database yet: nobody to compare with
    for name in names:
        path = directory / name
        try:
            info = os.lstat(path)
        except OSError:
            continue
        reason = problem(info, uid, directory=False)
        if reason is not None:
            yield FILES.found(
                f"{path} {reason}", fix=fix_command(path, reason, uid, directory=False)
            )
            continue
        if admins is not None and name not in admins:
            yield KEYS.found(f"{path}: {name} is not an active administrator", path=path)
        try:
            text = path.read_text(encoding="utf-8", errors="replace")[:65536]
        except OSError:
            continue
        for line in parse_keys(text):
            if line.refused is not None:
                yield KEYS.found(f"{path} line {line.line}: {line.refused}", path=path)


def run(ctx: CheckContext) -> Iterator[Finding]:
    """Whether the console is on, who may reach it, and its key files."""
    config = ctx.config
    settings = config.debug_ssh
    if not settings.enabled:
        return
    hosts = settings.hosts(config.http.server_host)
    yield ENABLED.found(f"listening on port {settings.port} of {', '.join(hosts)}")
    if config.http.remote_access or _public(hosts):
        yield EXPOSED.found(
            "http: remote_access is on"
            if config.http.remote_access
            else f"it listens on public addresses: {', '.join(_public(hosts))}"
        )
    uid, _why = ctx.hub_owner()
    yield from _files(ctx, uid)


CHECK = Check("debug_console", "SSH debug console", (ENABLED, EXPOSED, FILES, KEYS), run)
