"""`firewall`: is there a host firewall at all? Read-only probes; the result is only a note."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from hearth import const
from hearth.check.context import CheckContext
from hearth.check.model import Check, Finding, NotChecked, Rule, Severity

NO_FIREWALL = Rule(
    "host.no_firewall",
    Severity.INFO,
    "No host firewall detected",
    'Securing checklist: "Secure your host" (CIS Benchmark: a host firewall with a default-deny '
    "inbound policy); Security page: Home Assistant cannot change your firewall",
    "Install one and allow the hub's port only from your home network, e.g. `apt install ufw && "
    "ufw allow from 192.168.0.0/16 to any port {port} proto tcp && ufw enable` (keep SSH open "
    "first: `ufw allow OpenSSH`)",
)

COMMAND_TIMEOUT: Final = 5.0
# Read-only listings: nothing here can change a rule.
_LISTINGS: Final = (("nft", ("list", "ruleset")), ("iptables", ("-S", "INPUT")))


def ruleset_filters(tool: str, listing: str) -> bool:
    """Whether a ruleset listing filters incoming traffic (pure)."""
    text = listing.lower()
    if tool == "nft":
        return "hook input" in text and ("drop" in text or "reject" in text)
    lines = [line.split() for line in text.splitlines()]
    policy_drop = any(parts[:3] == ["-p", "input", "drop"] for parts in lines)
    rule_drop = any(
        parts[:2] == ["-a", "input"] and ("drop" in parts or "reject" in parts) for parts in lines
    )
    return policy_drop or rule_drop


def _run(tool: str, args: tuple[str, ...]) -> str | None:
    executable = shutil.which(tool) or shutil.which(tool, path="/usr/sbin:/sbin")
    if executable is None:
        return None
    try:
        done = subprocess.run(  # noqa: S603 - fixed argument list
            [executable, *args],
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def detect(ctx: CheckContext) -> tuple[list[str], list[str]]:
    """(firewalls found, sources that could not be read)."""
    found, unreadable = [], []
    ufw = ctx.path("/etc/ufw/ufw.conf")
    try:
        if any(line.strip() == "ENABLED=yes" for line in ufw.read_text().splitlines()):
            found.append("ufw")
    except OSError:
        pass
    if ctx.path("/run/firewalld").is_dir():
        found.append("firewalld")
    if ctx.host.root == Path("/"):  # crafted roots (tests) have no commands to ask
        for tool, args in _LISTINGS:
            listing = _run(tool, args)
            if listing is None:
                if shutil.which(tool, path="/usr/sbin:/sbin:/usr/bin:/bin"):
                    why = "it needs root" if ctx.host.euid != 0 else "it failed"
                    unreadable.append(f"the {tool} listing ({why})")
                continue
            if ruleset_filters(tool, listing):
                found.append(f"{tool} rules")
    return found, unreadable


def run(ctx: CheckContext) -> Iterator[Finding]:
    """A note when none of ufw, firewalld, nftables or iptables filters incoming traffic."""
    found, unreadable = detect(ctx)
    if found:
        return
    detail = "ufw, firewalld, nftables and iptables show no inbound filtering"
    if unreadable:
        detail += f" (could not read: {', '.join(unreadable)})"
    try:
        port = ctx.config.http.server_port
    except NotChecked:
        port = const.DEFAULT_PORT
    yield NO_FIREWALL.found(detail, port=port)


CHECK = Check("firewall", "Host firewall", (NO_FIREWALL,), run, fast=False)
