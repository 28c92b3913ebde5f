"""A light WebSocket load client: raw frames on asyncio, so the client is not what is measured.

Run as `python -m bench.wsclient MODE HOST PORT TOKEN COUNT [ARG]`; prints one JSON object.
Modes: `ping COUNT INFLIGHT` (round trips per second; median latency when INFLIGHT is 1),
`get_states COUNT` (sequential; latency), `fanout CHANGES SUBSCRIBERS` (state_changed events
delivered per second to SUBSCRIBERS connections while one more connection toggles a light).
"""

from __future__ import annotations

import asyncio
import base64
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import orjson

from bench.httpload import source_addresses

Frames = list[tuple[int, bytes]]
OPCODE_TEXT = 0x1
OPCODE_CLOSE = 0x8
# Client frames must be masked; a zero mask leaves the payload as it is, so no XOR in Python.
_MASK = b"\x00\x00\x00\x00"
FANOUT_WINDOW = 10  # state changes whose events may be undelivered at once
TIMEOUT = 120.0


def frame(payload: bytes) -> bytes:
    """One masked text frame."""
    length = len(payload)
    if length < 126:
        head = bytes((0x81, 0x80 | length))
    elif length < 65536:
        head = bytes((0x81, 0x80 | 126)) + length.to_bytes(2, "big")
    else:
        head = bytes((0x81, 0x80 | 127)) + length.to_bytes(8, "big")
    return head + _MASK + payload


class WsClient(asyncio.Protocol):
    """One WebSocket connection; frames go to `on_frames`, by default into a queue."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.upgraded = asyncio.get_running_loop().create_future()
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()
        self.on_frames: Callable[[Frames], None] = self._enqueue
        self._handshaken = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.upgraded.done():
            self.upgraded.set_exception(ConnectionError("closed during the upgrade"))

    def data_received(self, data: bytes) -> None:
        buf = self.buffer
        buf += data
        if not self._handshaken:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buf[:end])
            del buf[: end + 4]
            self._handshaken = True
            if head.startswith(b"HTTP/1.1 101"):
                self.upgraded.set_result(None)
            else:
                self.upgraded.set_exception(ConnectionError(head.decode("latin-1")))
                return
        frames: Frames = []
        pos, size = 0, len(buf)
        while size - pos >= 2:
            length, start = buf[pos + 1] & 0x7F, pos + 2
            if length == 126:
                if size - pos < 4:
                    break
                length, start = int.from_bytes(buf[pos + 2 : pos + 4], "big"), pos + 4
            elif length == 127:
                if size - pos < 10:
                    break
                length, start = int.from_bytes(buf[pos + 2 : pos + 10], "big"), pos + 10
            if size - start < length:
                break
            frames.append((buf[pos] & 0x0F, bytes(buf[start : start + length])))
            pos = start + length
        del buf[:pos]
        if frames:
            self.on_frames(frames)

    def _enqueue(self, frames: Frames) -> None:
        for opcode, payload in frames:
            if opcode == OPCODE_TEXT:
                self.queue.put_nowait(payload)

    def send(self, payload: bytes) -> None:
        """Send one text message."""
        assert self.transport is not None
        self.transport.write(frame(payload))

    def send_many(self, payloads: list[bytes]) -> None:
        """Send several text messages in one write."""
        assert self.transport is not None
        self.transport.write(b"".join(frame(p) for p in payloads))

    async def receive(self) -> Any:
        """The next text message, decoded."""
        return orjson.loads(await asyncio.wait_for(self.queue.get(), 10))

    def close(self) -> None:
        """Drop the connection."""
        if self.transport is not None:
            self.transport.close()


async def connect(host: str, port: int, token: str, source: str | None = None) -> WsClient:
    """Open /api/websocket (from a given loopback source address) and authenticate."""
    loop = asyncio.get_running_loop()
    local = (source, 0) if source else None
    _, client = await loop.create_connection(WsClient, host, port, local_addr=local)
    key = base64.b64encode(os.urandom(16)).decode()
    netloc = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    assert client.transport is not None
    client.transport.write(
        f"GET /api/websocket HTTP/1.1\r\nHost: {netloc}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        .encode()
    )  # fmt: skip
    await asyncio.wait_for(client.upgraded, 10)
    first = await client.receive()
    assert first["type"] == "auth_required", first
    client.send(orjson.dumps({"type": "auth", "access_token": token}))
    reply = await client.receive()
    assert reply["type"] == "auth_ok", reply
    return client


def _cpu() -> float:
    times = os.times()
    return times.user + times.system


async def ping(host: str, port: int, token: str, count: int, inflight: int) -> dict[str, Any]:
    """`count` pings with at most `inflight` unanswered; round trips per second."""
    client = await connect(host, port, token)
    done = asyncio.get_running_loop().create_future()
    sent_at: list[int] = []
    latencies: list[int] = []
    state = {"sent": 0, "received": 0}

    def payloads(number: int) -> list[bytes]:
        first = state["sent"] + 1
        state["sent"] += number
        return [b'{"id":%d,"type":"ping"}' % i for i in range(first, first + number)]

    def on_frames(frames: Frames) -> None:
        now = time.perf_counter_ns()
        answered = sum(1 for opcode, _ in frames if opcode == OPCODE_TEXT)
        if inflight == 1:
            latencies.append(now - sent_at[-1])
        state["received"] += answered
        more = min(answered, count - state["sent"])
        if more > 0:
            if inflight == 1:
                sent_at.append(time.perf_counter_ns())
            client.send_many(payloads(more))
        if state["received"] >= count and not done.done():
            done.set_result(None)

    client.on_frames = on_frames
    cpu, began = _cpu(), time.perf_counter()
    sent_at.append(time.perf_counter_ns())
    client.send_many(payloads(min(inflight, count)))
    await asyncio.wait_for(done, TIMEOUT)
    elapsed = time.perf_counter() - began
    client.close()
    result: dict[str, Any] = {
        "rate": count / elapsed,
        "elapsed": elapsed,
        "client_cpu": (_cpu() - cpu) / elapsed,
    }
    if latencies:
        result["median_ms"] = statistics.median(latencies) / 1e6
    return result


async def get_states(host: str, port: int, token: str, count: int) -> dict[str, Any]:
    """Sequential get_states; latency of each."""
    client = await connect(host, port, token)
    latencies = []
    size = 0
    for msg_id in range(1, count + 1):
        began = time.perf_counter_ns()
        client.send(b'{"id":%d,"type":"get_states"}' % msg_id)
        payload = await asyncio.wait_for(client.queue.get(), 10)
        latencies.append(time.perf_counter_ns() - began)
        if msg_id == 1:
            reply = orjson.loads(payload)
            assert reply["success"] is True, reply
            size = len(payload)
    client.close()
    return {
        "median_ms": statistics.median(latencies) / 1e6,
        "rate": count / (sum(latencies) / 1e9),
        "bytes": size,
    }


async def fanout(
    host: str, port: int, token: str, changes: int, subscribers: int
) -> dict[str, Any]:
    """Events per second delivered to `subscribers` connections, one light toggle at a time.

    Each connection comes from its own address (127.0.1.x), as from separate devices: the hub
    caps the connections one address may hold.
    """
    sources = source_addresses(subscribers)
    clients = [await connect(host, port, token, source) for source in sources]
    for client in clients:
        client.send(b'{"id":1,"type":"subscribe_events","event_type":"state_changed"}')
        reply = await client.receive()
        assert reply["success"] is True, reply
    driver = await connect(host, port, token)
    expected = changes * subscribers
    done = asyncio.get_running_loop().create_future()
    state = {"sent": 0, "delivered": 0}
    call = (
        b'{"id":%d,"type":"call_service","domain":"light","service":"toggle",'
        b'"service_data":{"entity_id":"light.demo_light_1"}}'
    )

    def pump() -> None:
        # Bounded: at most FANOUT_WINDOW changes whose events are not yet all delivered.
        while (
            state["sent"] < changes
            and (state["sent"] - FANOUT_WINDOW) * subscribers < state["delivered"]
        ):
            state["sent"] += 1
            driver.send(call % state["sent"])

    def on_events(frames: Frames) -> None:
        state["delivered"] += sum(1 for opcode, _ in frames if opcode == OPCODE_TEXT)
        if state["delivered"] >= expected:
            if not done.done():
                done.set_result(None)
            return
        pump()

    for client in clients:
        client.on_frames = on_events
    driver.on_frames = lambda frames: None
    cpu, began = _cpu(), time.perf_counter()
    pump()
    await asyncio.wait_for(done, TIMEOUT)
    elapsed = time.perf_counter() - began
    for client in [*clients, driver]:
        client.close()
    return {
        "rate": expected / elapsed,
        "elapsed": elapsed,
        "client_cpu": (_cpu() - cpu) / elapsed,
    }


def main(argv: list[str]) -> None:
    """Parse the command line, run one mode, print its JSON result."""
    mode, host, port, token, count, *rest = argv
    if mode == "ping":
        coro = ping(host, int(port), token, int(count), int(rest[0]))
    elif mode == "get_states":
        coro = get_states(host, int(port), token, int(count))
    elif mode == "fanout":
        coro = fanout(host, int(port), token, int(count), int(rest[0]))
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    print(orjson.dumps(asyncio.run(coro)).decode())


if __name__ == "__main__":
    main(sys.argv[1:])
