"""`http: acme:` — a certificate from Let's Encrypt (or another ACME CA), renewed by the hub."""

from __future__ import annotations

import binascii
import ipaddress
import os
import re
import string
from pathlib import Path
from typing import Annotated, Any, Final, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from hearth import const
from hearth.config.duration import duration_between, parse_duration
from hearth.config.tls_fields import CONFIG_DIR_CONTEXT, PemFile

# Messages never contain the value: eab_hmac_key comes from secrets.yaml, and so may the rest.

ChallengeName = Literal["http-01", "tls-alpn-01", "dns-01"]
KeyType = Literal["ecdsa", "rsa"]
MAX_DOMAINS: Final = 100  # Let's Encrypt's limit of names per certificate
_LABEL_CHARACTERS: Final = frozenset(string.ascii_lowercase + string.digits + "-")
_EMAIL: Final = re.compile(r"[^@\s,;<>\"]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_BASE64URL: Final = re.compile(r"[A-Za-z0-9_-]+={0,2}")


def _domain(value: Any) -> str:
    """A DNS name of two labels or more, lower-case (a leading `*.` is checked later)."""
    if not isinstance(value, str):
        raise ValueError("expected a DNS name such as hub.example.com")
    name = value.strip().lower().removesuffix(".")
    try:
        ipaddress.ip_address(name)
    except ValueError:
        pass
    else:
        raise ValueError("expected a DNS name: ACME certificates here are for names, not addresses")
    if not name.isascii():
        raise ValueError("write an internationalized name in its ASCII form (xn--...)")
    labels = name.removeprefix("*.").split(".")
    valid = (
        len(name) <= 253
        and len(labels) >= 2
        and not labels[-1].isdigit()
        and all(
            0 < len(label) <= 63
            and set(label) <= _LABEL_CHARACTERS
            and not label.startswith("-")
            and not label.endswith("-")
            for label in labels
        )
    )
    if not valid:
        raise ValueError(
            "expected a public DNS name such as hub.example.com (letters, digits and hyphens, "
            "two labels or more; `*.example.com` only with challenge: dns-01)"
        )
    return name


def _directory(value: Any) -> str:
    """The ACME directory URL: https only (RFC 8555, 6.1), no user name or password in it."""
    if not isinstance(value, str):
        raise ValueError("expected the https:// URL of an ACME directory")
    try:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise ValueError("expected the https:// URL of an ACME directory") from None
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError("expected the https:// URL of an ACME directory (RFC 8555 needs HTTPS)")
    if parts.username is not None or parts.password is not None:
        raise ValueError("the directory URL must not carry a user name or password")
    return value.strip()


def _email(value: Any) -> str:
    """One contact address; the CA writes to it about expiring certificates and policy changes."""
    if not isinstance(value, str) or not _EMAIL.fullmatch(value.strip()):
        raise ValueError("expected one e-mail address such as you@example.com")
    return value.strip()


def _hmac_key(value: Any) -> str:
    """The external account binding key, base64url as CAs hand it out."""
    if not isinstance(value, str) or not _BASE64URL.fullmatch(value.strip()):
        raise ValueError("expected the base64url-encoded HMAC key your CA gave you")
    text = value.strip()
    try:
        decoded = binascii.a2b_base64(
            text.rstrip("=").replace("-", "+").replace("_", "/") + "=" * (-len(text) % 4)
        )
    except binascii.Error:
        raise ValueError("expected the base64url-encoded HMAC key your CA gave you") from None
    if len(decoded) < 16:
        raise ValueError("the HMAC key is too short: copy the whole key your CA gave you")
    return text


def _identifier(value: Any) -> str:
    """The key identifier of an external account binding (printable, no spaces)."""
    if not isinstance(value, str) or not value.strip() or not value.strip().isprintable():
        raise ValueError("expected the key identifier (kid) your CA gave you")
    if any(char.isspace() for char in value.strip()):
        raise ValueError("expected the key identifier (kid) your CA gave you, without spaces")
    return value.strip()


def _executable(value: Path, info: ValidationInfo) -> Path:
    """Resolve against the configuration directory (when known); require an executable file."""
    config_dir = (info.context or {}).get(CONFIG_DIR_CONTEXT)
    if config_dir is None:
        return value
    path = Path(os.path.abspath(Path(config_dir) / value.expanduser()))
    if not path.is_file():
        raise ValueError(
            "file not found (a relative path is relative to the configuration directory)"
        )
    if not os.access(path, os.X_OK):
        raise ValueError("the file is not executable (chmod 700 it)")
    return path


def _text_path(value: Any) -> Any:
    if isinstance(value, Path):
        return value
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected the path of a file")
    return value


Domain = Annotated[str, BeforeValidator(_domain)]
Directory = Annotated[str, BeforeValidator(_directory)]
Email = Annotated[str, BeforeValidator(_email)]
HmacKey = Annotated[str, BeforeValidator(_hmac_key)]
KeyId = Annotated[str, BeforeValidator(_identifier)]
Executable = Annotated[Path, BeforeValidator(_text_path), AfterValidator(_executable)]
RenewBefore = Annotated[
    float, BeforeValidator(parse_duration), AfterValidator(duration_between(3600, 365 * 86400))
]


class AcmeSection(BaseModel):
    """`http: acme:` — obtain and renew the hub's certificate from an ACME CA."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    directory: Directory = const.ACME_LETSENCRYPT
    email: Email | None = None
    # Required; checked below so that the message says what it is for.
    domains: Annotated[list[Domain], Field(max_length=MAX_DOMAINS)] = Field(default_factory=list)
    challenge: ChallengeName = "http-01"
    dns_hook: Executable | None = None
    renew_before: RenewBefore = const.ACME_RENEW_BEFORE
    key_type: KeyType = "ecdsa"
    eab_kid: KeyId | None = None
    eab_hmac_key: HmacKey | None = None
    ca_bundle: PemFile | None = None

    @field_validator("domains", mode="before")
    @classmethod
    def _one_domain_is_a_list(cls, value: Any) -> Any:
        """Accept a single name as a one-item list."""
        return [value] if isinstance(value, str) else value

    @field_validator("domains")
    @classmethod
    def _no_repeats(cls, value: list[str]) -> list[str]:
        """Each name once, in the order given (the first is the certificate's subject)."""
        return list(dict.fromkeys(value))

    @model_validator(mode="after")
    def _consistent(self) -> AcmeSection:
        """Wildcards and dns_hook belong to dns-01; the binding's two halves come together."""
        if not self.domains:
            raise ValueError(
                "acme: needs domains, the DNS names the certificate is for (such as "
                "domains: [hub.example.com])"
            )
        if self.challenge == "dns-01" and self.dns_hook is None:
            raise ValueError("challenge: dns-01 needs dns_hook, the command that sets the record")
        if self.challenge != "dns-01" and self.dns_hook is not None:
            raise ValueError("dns_hook is only used with challenge: dns-01")
        if self.challenge != "dns-01" and any(name.startswith("*.") for name in self.domains):
            raise ValueError("a wildcard name (*.example.com) needs challenge: dns-01")
        if (self.eab_kid is None) != (self.eab_hmac_key is None):
            raise ValueError("eab_kid and eab_hmac_key go together: set both or neither")
        return self


def check_acme(
    acme: AcmeSection | None, certificate: Path | None, key: Path | None, profile: str
) -> None:
    """With acme: the hub owns the certificate files; an RSA key needs the intermediate profile."""
    if acme is None:
        return
    if certificate is not None or key is not None:
        raise ValueError(
            "acme: obtains the certificate itself: remove ssl_certificate and ssl_key, or "
            "remove acme: to use your own files"
        )
    if acme.key_type == "rsa" and profile != "intermediate":
        raise ValueError(
            "acme: key_type: rsa needs ssl_profile: intermediate (the modern profile serves "
            "ECDSA certificates only); use key_type: ecdsa"
        )
