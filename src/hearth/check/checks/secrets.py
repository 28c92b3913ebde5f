"""`secrets`: no credentials written literally in configuration.yaml or the files it includes.

The files are read with Hearth's own loader, so a value that came from `!secret` (or
`!env_var`) is known as such and never looked at; nothing found is ever printed, only where it is.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any, Final
from urllib.parse import urlsplit

from yaml.nodes import MappingNode, ScalarNode

from hearth import const
from hearth.check.context import CheckContext
from hearth.check.model import Check, Finding, NotChecked, Rule, Severity
from hearth.config.files import UnusableFileError, confine, read_text
from hearth.config.parse import compose
from hearth.config.paths import KeyPath, LoadedConfig, format_key
from hearth.exceptions import ConfigError

_SEED = 'Securing checklist: "Keep your secrets safe." (secrets belong in secrets.yaml)'
_MOVE = "Move the value to {secrets} as `NAME: value` and write `{key}: !secret NAME` in its place"

LITERAL = Rule(
    "secrets.literal",
    Severity.WARN,
    "A secret is written in the configuration",
    _SEED,
    _MOVE,
)
HIGH_ENTROPY = Rule(
    "secrets.high_entropy",
    Severity.WARN,
    "A value looks like a password or token",
    _SEED + "; random-looking strings are how secret scanners spot leaked credentials",
    _MOVE,
)
PRIVATE_KEY = Rule(
    "secrets.private_key",
    Severity.FAIL,
    "A private key is written in the configuration",
    _SEED,
    "Put the key in a file of its own with mode 0600 (or in {secrets}) and refer to it",
)
PEM_BLOCK = Rule(
    "secrets.pem_block",
    Severity.WARN,
    "A PEM block is written in the configuration",
    _SEED,
    "Put the PEM block in a file of its own and refer to it by path",
)
URL_PASSWORD = Rule(
    "secrets.url_password",
    Severity.WARN,
    "A URL carries a user name and password",
    _SEED + "; RFC 3986 §3.2.1 deprecates user:password in URLs",
    _MOVE,
)
UNUSED = Rule(
    "secrets.unused",
    Severity.INFO,
    "secrets.yaml holds entries nothing uses",
    _SEED + " (fewer copies of a secret, fewer places to leak it)",
    "Delete the unused entries from {secrets} if nothing else needs them",
)

# The last word of a key that holds a secret: `password`, `mqtt_password`, `api_key`, `token`.
_SECRET_KEY: Final = re.compile(
    r"(?:^|[_-])(?:password|passwd|passphrase|pass|pwd|secret|token|key|apikey|api_key|"
    r"credentials?|psk)$",
    re.IGNORECASE,
)
# Keys whose values are file paths, not secrets.
_NOT_SECRET_KEYS: Final = frozenset(
    {"ssl_key", "ssl_certificate", "ssl_peer_certificate", "client_key", "client_certificate"}
)
_PEM: Final = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----")
_URL_WITH_PASSWORD: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s/@]*:[^\s/@]*@")
_TOKEN_CHARACTERS: Final = re.compile(r"[A-Za-z0-9+/=_.~-]+")
MIN_TOKEN_LENGTH: Final = 20
MIN_ENTROPY: Final = 3.5  # bits per character; English words and paths stay below


def entropy(text: str) -> float:
    """Shannon entropy of `text` in bits per character."""
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def looks_random(text: str) -> bool:
    """A long run of token characters mixing letter cases or digits, with high entropy."""
    if len(text) < MIN_TOKEN_LENGTH or not _TOKEN_CHARACTERS.fullmatch(text):
        return False
    kinds = sum(any(test(ch) for ch in text) for test in (str.islower, str.isupper, str.isdigit))
    return kinds >= 2 and entropy(text) >= MIN_ENTROPY


def _has_url_password(text: str) -> bool:
    for match in _URL_WITH_PASSWORD.finditer(text):
        try:
            if urlsplit(match.group(0) + "x").password:
                return True
        except ValueError:
            continue
    return False


def classify(key: str | int | None, value: Any) -> Rule | None:
    """The rule a literal value under `key` breaks, or None (pure: used by the table tests)."""
    if isinstance(value, bool) or value is None:
        return None
    text = str(value).strip() if isinstance(value, str | int | float) else ""
    if not text:
        return None
    pem = _PEM.search(text)
    if pem is not None:
        return PRIVATE_KEY if "PRIVATE KEY" in pem.group(1) else PEM_BLOCK
    if _has_url_password(text):
        return URL_PASSWORD
    if isinstance(key, str) and key not in _NOT_SECRET_KEYS and _SECRET_KEY.search(key):
        return LITERAL
    if isinstance(value, str) and looks_random(text):
        return HIGH_ENTROPY
    return None


def _leaves(data: Any, path: KeyPath = ()) -> Iterator[tuple[KeyPath, Any]]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _leaves(value, (*path, index))
    else:
        yield path, data


def _key_of(path: KeyPath) -> str | int | None:
    """The mapping key a value sits under (for a list item, the list's key)."""
    for part in reversed(path):
        if isinstance(part, str):
            return part
    return None


def literal_findings(loaded: LoadedConfig, secrets_file: str) -> Iterator[Finding]:
    """Findings for every literal secret-like value; values from tags are skipped unseen."""
    for path, value in _leaves(loaded.data):
        if loaded.origin(path) is not None:
            continue  # from !secret or !env_var
        rule = classify(_key_of(path), value)
        if rule is None:
            continue
        _where, location = loaded.locate(path)
        key = format_key(path) or "the top level"
        shown = str(_key_of(path) or "the key")
        yield rule.found(
            f"{location.file}, line {location.line}: {key}",
            secrets=secrets_file,
            key=shown,
        )


def secret_names(ctx: CheckContext) -> list[str] | None:
    """The top-level names in secrets.yaml (their values are never built), or None."""
    try:
        real, display = confine(ctx.config_dir, const.SECRETS_FILE)
        node = compose(read_text(real), display, hide_details=True)
    except (UnusableFileError, ConfigError):
        return None
    if not isinstance(node, MappingNode):
        return []
    return [str(key.value) for key, _value in node.value if isinstance(key, ScalarNode)]


def run(ctx: CheckContext) -> Iterator[Finding]:
    """Literal secrets in the configuration files, then unused entries of secrets.yaml."""
    try:
        loaded = ctx.loaded
    except NotChecked:
        raise NotChecked("the configuration cannot be read (see config.invalid)") from None
    yield from literal_findings(loaded, const.SECRETS_FILE)
    names = secret_names(ctx)
    if names:
        used = {name for tag, name in loaded.origins.values() if tag == "!secret"}
        unused = [name for name in names if name not in used]
        if unused:
            listed = ", ".join(unused[:10]) + (" …" if len(unused) > 10 else "")
            yield UNUSED.found(f"{len(unused)} unused: {listed}", secrets=const.SECRETS_FILE)


CHECK = Check(
    "secrets",
    "Secrets in the configuration",
    (LITERAL, HIGH_ENTROPY, PRIVATE_KEY, PEM_BLOCK, URL_PASSWORD, UNUSED),
    run,
)
