"""A WebSocket client on a raw socket, for attacks a client library would smooth over.

It can shrink its receive buffer and then stop reading, which is what a slow or hostile client
does; and it measures the hub's resident memory from /proc.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
import time
from pathlib import Path
from typing import Any

from tests.acceptance.support import HOST, RunningHub

TEXT: int = 0x1
CLOSE: int = 0x8


def rss_mib(pid: int) -> float:
    """The process's resident set size (VmRSS) in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for process {pid}")


class RawWebSocket:
    """One client connection: upgrade, auth, masked text frames out, frames in."""

    def __init__(self, hub: RunningHub, *, receive_buffer: int | None = None) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if receive_buffer is not None:
            # Before connect, so the advertised TCP window stays small.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.sock.settimeout(10)
        self.sock.connect((HOST, hub.port))
        self._buffer = b""
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET /api/websocket HTTP/1.1\r\nHost: {HOST}:{hub.port}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        while b"\r\n\r\n" not in self._buffer:
            self._fill()
        head, _, self._buffer = self._buffer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head

    def authenticate(self, token: str) -> None:
        """auth_required, auth, auth_ok."""
        assert self.receive_json()["type"] == "auth_required"
        self.send_json({"type": "auth", "access_token": token})
        reply = self.receive_json()
        assert reply["type"] == "auth_ok", reply

    def send_json(self, value: Any) -> None:
        """One masked text frame (clients must mask)."""
        self.send_frame(TEXT, json.dumps(value).encode())

    def send_frame(self, opcode: int, payload: bytes) -> None:
        """One masked frame."""
        mask = os.urandom(4)
        length = len(payload)
        if length < 126:
            header = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
        elif length < 65536:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
        masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def receive_frame(self) -> tuple[int, bytes]:
        """The next frame from the server: (opcode, payload)."""
        self._need(2)
        first, second = self._buffer[0], self._buffer[1]
        length, offset = second & 0x7F, 2
        if length == 126:
            self._need(4)
            length, offset = struct.unpack("!H", self._buffer[2:4])[0], 4
        elif length == 127:
            self._need(10)
            length, offset = struct.unpack("!Q", self._buffer[2:10])[0], 10
        self._need(offset + length)
        payload = self._buffer[offset : offset + length]
        self._buffer = self._buffer[offset + length :]
        return first & 0x0F, payload

    def receive_json(self) -> Any:
        """The next text frame, parsed."""
        opcode, payload = self.receive_frame()
        assert opcode == TEXT, (opcode, payload[:100])
        return json.loads(payload)

    def read_until_closed(self, timeout: float) -> tuple[int | None, int]:
        """Read everything until the server closes: (close code or None if reset, bytes read)."""
        deadline = time.monotonic() + timeout
        total = 0
        self.sock.settimeout(1)
        while time.monotonic() < deadline:
            try:
                chunk = self.sock.recv(1 << 20)
            except TimeoutError:
                continue
            except ConnectionResetError:
                return None, total
            if not chunk:
                return self._close_code(), total
            total += len(chunk)
            self._buffer += chunk
            self._skip_complete_frames()
        raise AssertionError(f"connection still open after {timeout} s ({total} bytes read)")

    def close(self) -> None:
        """Drop the TCP connection."""
        self.sock.close()

    def _skip_complete_frames(self) -> None:
        # Keep only what may be the start of the close frame; data frames are just counted.
        while len(self._buffer) >= 2:
            length, offset = self._buffer[1] & 0x7F, 2
            if length == 126:
                if len(self._buffer) < 4:
                    return
                length, offset = struct.unpack("!H", self._buffer[2:4])[0], 4
            elif length == 127:
                if len(self._buffer) < 10:
                    return
                length, offset = struct.unpack("!Q", self._buffer[2:10])[0], 10
            if len(self._buffer) < offset + length:
                return
            if self._buffer[0] & 0x0F == CLOSE:
                return
            self._buffer = self._buffer[offset + length :]

    def _close_code(self) -> int | None:
        if len(self._buffer) >= 4 and self._buffer[0] & 0x0F == CLOSE:
            code: int = struct.unpack("!H", self._buffer[2:4])[0]
            return code
        return None

    def _need(self, size: int) -> None:
        while len(self._buffer) < size:
            self._fill()

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed by the hub")
        self._buffer += chunk
