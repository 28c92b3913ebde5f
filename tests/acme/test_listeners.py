"""The listeners of an order answer challenges and nothing else, on real sockets."""

from __future__ import annotations

import asyncio
import json
import ssl
from datetime import UTC, datetime
from pathlib import Path

from hearth.acme.challenges import ALPN_PROTOCOL, ChallengeStore
from hearth.acme.files import AcmePaths
from hearth.acme.listeners import ChallengeListeners
from tests.acceptance.support import free_port

TOKEN = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"


async def exchange(port: int, data: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    reply = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    return reply


async def test_challenge_only_listener(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    store = ChallengeStore(AcmePaths(tmp_path / "config" / "acme"), tls_alpn=True)
    store.put_http01(TOKEN, "answer")
    store.put_tls_alpn("hub.example.com", "token.thumb", datetime.now(UTC))
    port = free_port()
    listeners = ChallengeListeners()
    await listeners.open(["127.0.0.1"], [port], store, lambda host: host == "hub.example.com")
    try:
        assert listeners.bound == [("127.0.0.1", port)]
        request = (
            f"GET /.well-known/acme-challenge/{TOKEN} HTTP/1.1\r\nHost: hub.example.com\r\n\r\n"
        )
        ok = await exchange(port, request.encode())
        assert ok.startswith(b"HTTP/1.1 200 OK")
        assert ok.endswith(b"answer")
        # Anything else: a 404, not the hub's redirect to https://.
        other = await exchange(port, b"GET / HTTP/1.1\r\nHost: hub.example.com\r\n\r\n")
        assert other.startswith(b"HTTP/1.1 404 Not Found")
        assert json.loads(other.partition(b"\r\n\r\n")[2])["message"]
        # acme-tls/1 for the pending name: the challenge certificate, then the end.
        client = ssl.create_default_context()
        client.check_hostname = False
        client.verify_mode = ssl.CERT_NONE
        client.set_alpn_protocols([ALPN_PROTOCOL])
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=client, server_hostname="hub.example.com"
        )
        tls = writer.get_extra_info("ssl_object")
        assert tls.selected_alpn_protocol() == ALPN_PROTOCOL
        assert await asyncio.wait_for(reader.read(), 5) == b""
        writer.close()
        # An ordinary TLS client gets nothing.
        plain = ssl.create_default_context()
        plain.check_hostname = False
        plain.verify_mode = ssl.CERT_NONE
        try:
            _, writer = await asyncio.open_connection(
                "127.0.0.1", port, ssl=plain, server_hostname="hub.example.com"
            )
        except (ssl.SSLError, ConnectionError):
            pass
        else:
            raise AssertionError("a challenge-only listener served an ordinary TLS client")
    finally:
        await listeners.close()


async def test_a_port_that_cannot_be_bound_is_skipped(tmp_path: Path) -> None:
    store = ChallengeStore(AcmePaths(tmp_path / "acme"))
    port = free_port()
    first, second = ChallengeListeners(), ChallengeListeners()
    await first.open(["127.0.0.1"], [port], store, None)
    try:
        await second.open(["127.0.0.1"], [port], store, None)  # in use: logged, not raised
        assert second.bound == []
    finally:
        await first.close()
        await second.close()
