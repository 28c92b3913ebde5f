"""The http-01 answer: only the exact pending token, only for the hub's names, raw and routed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hearth.acme.challenges import ChallengeStore
from hearth.acme.files import AcmePaths
from hearth.http.acme_challenge import NO_CHALLENGE, challenge_reply

TOKEN = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"
ANSWER = f"{TOKEN}.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI"


@pytest.fixture
def store(tmp_path: Path) -> ChallengeStore:
    (tmp_path / "config").mkdir()
    store = ChallengeStore(AcmePaths(tmp_path / "config" / "acme"))
    store.put_http01(TOKEN, ANSWER)
    (tmp_path / "config" / "acme" / "account.key").write_text("PRIVATE")
    return store


def head(target: str, host: str = "hub.example.com", method: str = "GET") -> bytes:
    return f"{method} {target} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: ca\r\n\r\n".encode()


def allowed(host: str) -> bool:
    return host.partition(":")[0] == "hub.example.com"


def status_and_body(reply: bytes) -> tuple[int, bytes]:
    top, _, body = reply.partition(b"\r\n\r\n")
    return int(top.split(b" ")[1]), body


def test_a_pending_token_gets_its_key_authorization(store: ChallengeStore) -> None:
    reply = challenge_reply(head(f"/.well-known/acme-challenge/{TOKEN}"), store, allowed)
    assert reply is not None
    assert status_and_body(reply) == (200, ANSWER.encode())
    assert b"Content-Type: text/plain\r\n" in reply
    assert b"Connection: close\r\n" in reply


def test_head_gets_no_body(store: ChallengeStore) -> None:
    reply = challenge_reply(
        head(f"/.well-known/acme-challenge/{TOKEN}", method="HEAD"), store, allowed
    )
    assert reply is not None
    assert status_and_body(reply) == (200, b"")


@pytest.mark.parametrize(
    "target",
    [
        "/.well-known/acme-challenge/",
        "/.well-known/acme-challenge/unknown-token-unknown-token-unknown",
        "/.well-known/acme-challenge/../account.key",
        "/.well-known/acme-challenge/..%2Faccount.key",
        "/.well-known/acme-challenge/%2e%2e/account.key",
        f"/.well-known/acme-challenge/{TOKEN}?x=1",
        f"/.well-known/acme-challenge/{TOKEN}/",
        f"/.well-known/acme-challenge/{TOKEN}.",
        f"/.well-known/acme-challenge/{TOKEN[:-1]}",
        f"/.well-known/acme-challenge//{TOKEN}",
    ],
)
def test_anything_else_under_the_prefix_is_a_404(store: ChallengeStore, target: str) -> None:
    reply = challenge_reply(head(target), store, allowed)
    assert reply is not None
    status, body = status_and_body(reply)
    assert status == 404
    assert json.loads(body) == {"message": NO_CHALLENGE}
    assert b"PRIVATE" not in reply


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "OPTIONS"])
def test_other_methods_get_no_answer(store: ChallengeStore, method: str) -> None:
    reply = challenge_reply(head(f"/.well-known/acme-challenge/{TOKEN}", method=method), store)
    assert reply is not None
    assert status_and_body(reply)[0] == 404


def test_a_foreign_host_is_refused(store: ChallengeStore) -> None:
    reply = challenge_reply(
        head(f"/.well-known/acme-challenge/{TOKEN}", "evil.example"), store, allowed
    )
    assert reply is not None
    assert status_and_body(reply)[0] == 400
    twice = (
        f"GET /.well-known/acme-challenge/{TOKEN} HTTP/1.1\r\nHost: hub.example.com\r\n"
        "Host: evil.example\r\n\r\n"
    ).encode()
    assert status_and_body(challenge_reply(twice, store, allowed) or b"HTTP/1.1 0 x")[0] == 400


@pytest.mark.parametrize(
    "raw",
    [head("/"), head("/api/"), head("/.well-known/other"), b"\xff\xfe", b"", b"GET\r\n\r\n"],
)
def test_other_paths_are_left_to_the_caller(store: ChallengeStore, raw: bytes) -> None:
    assert challenge_reply(raw, store, allowed) is None


def test_without_acme_every_token_is_a_404() -> None:
    reply = challenge_reply(head(f"/.well-known/acme-challenge/{TOKEN}"), None)
    assert reply is not None
    assert status_and_body(reply)[0] == 404
