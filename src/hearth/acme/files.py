"""The files ACME keeps in `acme/` of the configuration directory, each written atomically, 0600."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from hearth import const
from hearth.certs.authority import write_private

ACCOUNT_KEY: Final = "account.key"
ACCOUNT: Final = "account.json"
CERTIFICATE: Final = "certificate.pem"  # the full chain, leaf first
KEY: Final = "certificate.key"
STATE: Final = "state.json"
CHALLENGES: Final = "challenges"
ORDER_LOCK: Final = ".order.lock"
MAX_JSON: Final = 256 * 1024


class AcmeFilesProblem(Exception):
    """A file in acme/ cannot be used; the message names it and says what to do."""


class OrderInProgress(Exception):
    """Another process (the hub, or `hearth cert acme`) is running an order right now."""


@dataclass(frozen=True, slots=True)
class AcmePaths:
    """Where ACME's files live, and who owns them."""

    root: Path

    @classmethod
    def in_config(cls, config_dir: Path) -> AcmePaths:
        """acme/ inside the configuration directory."""
        return cls(Path(os.path.abspath(config_dir)) / const.ACME_DIR)

    @property
    def account_key(self) -> Path:
        """The account's EC P-256 key: made once, reused for every order."""
        return self.root / ACCOUNT_KEY

    @property
    def account(self) -> Path:
        """The account's URL at each directory it was registered with (for information)."""
        return self.root / ACCOUNT

    @property
    def certificate(self) -> Path:
        """The certificate the hub serves (full chain)."""
        return self.root / CERTIFICATE

    @property
    def key(self) -> Path:
        """The certificate's private key (new for every certificate)."""
        return self.root / KEY

    @property
    def state(self) -> Path:
        """Failed orders per domain set: the rate limit and what `hearth check` reports."""
        return self.root / STATE

    @property
    def challenges(self) -> Path:
        """Answers to pending challenges, read by the hub's listeners."""
        return self.root / CHALLENGES

    def ensure(self) -> None:
        """Create acme/ and acme/challenges/ (0700), owned like the configuration directory."""
        owner = self.owner()
        for directory in (self.root, self.challenges):
            try:
                directory.mkdir(mode=0o700)
            except FileExistsError:
                continue
            if owner is not None:
                os.chown(directory, *owner)

    def owner(self) -> tuple[int, int] | None:
        """(uid, gid) new files get when root writes them: those of acme/ or the config dir.

        Root running `hearth cert acme` beside a hub that runs as its own user must not leave
        files that hub cannot read. Anyone else writes files they own, as usual.
        """
        if os.geteuid() != 0:
            return None
        for directory in (self.root, self.root.parent):
            try:
                info = os.stat(directory)
            except OSError:
                continue
            return info.st_uid, info.st_gid
        return None

    def write(self, path: Path, data: bytes) -> None:
        """Replace `path` atomically, 0600, with the owner of acme/."""
        write_private(path, data, owner=self.owner())

    def read_json(self, path: Path) -> dict[str, Any]:
        """A JSON object from `path`; empty when missing, AcmeFilesProblem when unreadable."""
        try:
            with path.open("rb") as file:
                data = file.read(MAX_JSON + 1)
        except FileNotFoundError:
            return {}
        except OSError as err:
            raise AcmeFilesProblem(f"cannot read {path}: {err.strerror or err}") from None
        try:
            value = json.loads(data) if len(data) <= MAX_JSON else None
        except ValueError:
            value = None
        if not isinstance(value, dict):
            raise AcmeFilesProblem(f"{path} is damaged; delete it (it is recreated)")
        return value

    def write_json(self, path: Path, value: dict[str, Any]) -> None:
        """Write a JSON object atomically."""
        self.write(path, json.dumps(value, indent=2, sort_keys=True).encode() + b"\n")

    @contextlib.contextmanager
    def order_lock(self) -> Iterator[None]:
        """One order at a time across the hub and the CLI; OrderInProgress when taken."""
        self.ensure()
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(self.root / ORDER_LOCK, flags, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise OrderInProgress(
                    "another order for this hub is running (the hub's renewal or another "
                    "`hearth cert acme`); wait for it to finish"
                ) from None
            yield
        finally:
            os.close(fd)


def load_or_create_account_key(paths: AcmePaths) -> tuple[ec.EllipticCurvePrivateKey, bool]:
    """The account key (and whether it was just made): EC P-256, created once, 0600."""
    try:
        data = paths.account_key.read_bytes()
    except FileNotFoundError:
        paths.ensure()
        key = ec.generate_private_key(ec.SECP256R1())
        paths.write(paths.account_key, private_pem(key))
        return key, True
    except OSError as err:
        raise AcmeFilesProblem(f"cannot read {paths.account_key}: {err.strerror or err}") from None
    loaded: object = None
    with contextlib.suppress(ValueError, TypeError):
        loaded = serialization.load_pem_private_key(data, password=None)
    if not isinstance(loaded, ec.EllipticCurvePrivateKey) or loaded.curve.name != "secp256r1":
        # Never replaced silently: the CA knows the account by this key.
        raise AcmeFilesProblem(
            f"{paths.account_key} is not an EC P-256 private key; move it away to have a new "
            "account made"
        )
    return loaded, False


def private_pem(key: ec.EllipticCurvePrivateKey | Any) -> bytes:
    """A private key as unencrypted PKCS#8 PEM (the file is 0600)."""
    data: bytes = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return data
