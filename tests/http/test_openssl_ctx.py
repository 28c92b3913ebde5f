"""The two OpenSSL settings made through ctypes: groups and TLS 1.3 suites."""

from __future__ import annotations

import ssl

import pytest

from hearth.http.tls import openssl_ctx
from hearth.http.tls.openssl_ctx import OpenSslUnavailable, set_groups, set_tls13_ciphersuites
from tests.http.tls_support import handshake


def server_context() -> ssl.SSLContext:
    return ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)


def tls13_suites(context: ssl.SSLContext) -> set[str]:
    return {c["name"] for c in context.get_ciphers() if c["protocol"] == "TLSv1.3"}


def test_pointer_is_checked_against_the_options_python_sees() -> None:
    context = server_context()
    first = openssl_ctx._ssl_ctx(context)
    context.options |= ssl.OP_NO_TICKET  # a different value read through both paths
    assert openssl_ctx._ssl_ctx(context) == first


def test_a_pointer_that_does_not_match_is_never_written_through(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lib = openssl_ctx._libssl()
    monkeypatch.setattr(lib, "SSL_CTX_get_options", lambda _address: 0)
    with pytest.raises(OpenSslUnavailable, match="cannot reach the OpenSSL context"):
        set_groups(server_context(), ("P-256",))


def test_tls13_suites_are_set_exactly() -> None:
    context = server_context()
    set_tls13_ciphersuites(context, ("TLS_CHACHA20_POLY1305_SHA256",))
    assert tls13_suites(context) == {"TLS_CHACHA20_POLY1305_SHA256"}


def test_unknown_names_are_errors_not_ignored() -> None:
    with pytest.raises(OpenSslUnavailable, match="refused the group list"):
        set_groups(server_context(), ("X25519", "no-such-group"))
    with pytest.raises(OpenSslUnavailable, match=r"refused the TLS 1\.3 suites"):
        set_tls13_ciphersuites(server_context(), ("TLS_NO_SUCH_SUITE",))


def test_groups_take_effect_on_the_wire(tmp_path: object) -> None:
    """Only the groups set are negotiable; a client offering only another one fails."""
    import trustme

    ca = trustme.CA()
    server = server_context()
    ca.issue_cert("localhost").configure_cert(server)
    set_groups(server, ("P-384",))
    client = ssl.create_default_context()
    ca.configure_trust(client)
    client.set_ecdh_curve("secp384r1")
    handshake(server, client)
    refused = ssl.create_default_context()
    ca.configure_trust(refused)
    refused.set_ecdh_curve("prime256v1")
    with pytest.raises(ssl.SSLError):
        handshake(server, refused)
