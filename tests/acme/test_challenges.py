"""Pending answers as files: only exact tokens and names, fresh regular files, nothing else."""

from __future__ import annotations

import hashlib
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509

from hearth.acme.challenges import ACME_IDENTIFIER, ChallengeStore, tls_alpn_certificate
from hearth.acme.files import AcmePaths

TOKEN = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"
NOW = datetime.now(UTC)


@pytest.fixture
def store(tmp_path: Path) -> ChallengeStore:
    (tmp_path / "config").mkdir()
    return ChallengeStore(AcmePaths(tmp_path / "config" / "acme"), tls_alpn=True)


def test_a_pending_token_is_answered_until_removed(store: ChallengeStore) -> None:
    assert store.http01(TOKEN) is None
    store.put_http01(TOKEN, f"{TOKEN}.thumb")
    assert store.http01(TOKEN) == f"{TOKEN}.thumb".encode()
    assert (store.directory.stat().st_mode & 0o777) == 0o700
    store.remove_http01(TOKEN)
    assert store.http01(TOKEN) is None


@pytest.mark.parametrize(
    "token",
    [
        "../state.json",
        "..%2Fstate.json",
        "http-01." + TOKEN,
        TOKEN + "/",
        TOKEN[:10],  # under 128 bits
        "a" * 257,
        TOKEN + "\x00",
        "",
    ],
)
def test_only_exact_tokens_are_looked_up(store: ChallengeStore, token: str) -> None:
    store.put_http01(TOKEN, "answer")
    (store.directory.parent / "state.json").write_text("{}")
    assert store.http01(token) is None


def test_a_link_or_an_old_answer_is_never_served(store: ChallengeStore, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("do not serve")
    store.put_http01(TOKEN, "answer")
    link = store.directory / f"http-01.{TOKEN}"
    link.unlink()
    link.symlink_to(secret)
    assert store.http01(TOKEN) is None
    link.unlink()
    store.put_http01(TOKEN, "answer")
    old = time.time() - 2 * 3600
    os.utime(link, (old, old))
    assert store.http01(TOKEN) is None


def test_tls_alpn_answers_carry_the_key_authorization_hash(store: ChallengeStore) -> None:
    pem = tls_alpn_certificate("hub.example.com", "token.thumb", NOW)
    cert = x509.load_pem_x509_certificate(pem)
    extension = cert.extensions.get_extension_for_oid(ACME_IDENTIFIER)
    assert extension.critical
    digest = hashlib.sha256(b"token.thumb").digest()
    assert extension.value.value == b"\x04\x20" + digest  # type: ignore[attr-defined]
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["hub.example.com"]


def test_alpn_pending_follows_the_directory(store: ChallengeStore) -> None:
    assert not store.alpn_pending()
    store.put_tls_alpn("hub.example.com", "token.thumb", NOW)
    assert store.alpn_pending()
    assert store.alpn_context("HUB.example.com.") is not None
    assert store.alpn_context("other.example.com") is None
    assert store.alpn_context("../acme") is None
    assert store.alpn_context(None) is None
    store.remove_tls_alpn("hub.example.com")
    assert not store.alpn_pending()
