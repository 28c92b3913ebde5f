"""One console session: lines in, command output out; an exec request runs one command.

Refused here: subsystems (sftp and any other). Shell and exec requests get the console, never
a process. Every command is in the audit log before it runs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Final

import asyncssh

from hearth import const
from hearth.debug_ssh.commands import EXIT_WORDS, CommandError, execute, split
from hearth.debug_ssh.context import ConsoleContext
from hearth.exceptions import HearthError

_LOGGER = logging.getLogger(__name__)

PROMPT: Final = "hearth> "
_QUEUED_LINES: Final = 16  # lines waiting to run before reading pauses


class ConsoleSession(asyncssh.SSHServerSession[str]):
    """The console over one SSH session channel."""

    def __init__(
        self, ctx: ConsoleContext, idle_timeout: float, on_close: Callable[[], None]
    ) -> None:
        self._ctx = ctx
        self._idle_timeout = idle_timeout
        self._on_close = on_close
        self._chan: asyncssh.SSHServerChannel[str] | None = None
        self._command: str | None = None
        self._buffer = ""
        self._lines: asyncio.Queue[str | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def connection_made(self, chan: asyncssh.SSHServerChannel[str]) -> None:
        self._chan = chan

    def pty_requested(self, term_type: str, term_size: object, term_modes: object) -> bool:
        return True  # for the line editor (history, editing); no terminal device is made

    def shell_requested(self) -> bool:
        return True

    def exec_requested(self, command: str) -> bool:
        self._command = command
        return True

    def subsystem_requested(self, subsystem: str) -> bool:
        _LOGGER.warning(
            "Debug console: refused the %r subsystem to %s from %s",
            subsystem[:40],
            self._ctx.user.username,
            self._ctx.ip,
        )
        return False

    def session_started(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    def data_received(self, data: str, datatype: asyncssh.DataType) -> None:
        self._buffer += data.replace("\r\n", "\n").replace("\r", "\n")
        *lines, self._buffer = self._buffer.split("\n")
        if len(self._buffer) > const.DEBUG_SSH_MAX_LINE:
            self._buffer = ""
            lines.append("\0too-long")
        for line in lines:
            self._lines.put_nowait(line)
        if self._chan is not None and self._lines.qsize() >= _QUEUED_LINES:
            self._chan.pause_reading()

    def eof_received(self) -> bool:
        self._lines.put_nowait(None)
        return True  # half-open: the output of the lines before the end still goes out

    def connection_lost(self, exc: Exception | None) -> None:
        if self._task is not None:
            self._task.cancel()
        self._on_close()

    def _write(self, text: str) -> None:
        if self._chan is not None and text:
            self._chan.write(text if text.endswith("\n") else text + "\n")

    async def _run(self) -> None:
        chan = self._chan
        if chan is None:
            return
        status = 0
        try:
            if self._command is not None:
                status = await self._one(self._command)
            else:
                await self._interactive(chan)
            chan.exit(status)
        except (asyncssh.Error, ConnectionError):
            return  # the client went away

    async def _interactive(self, chan: asyncssh.SSHServerChannel[str]) -> None:
        self._write(f"Hearth debug console, logged in as {self._ctx.user.username}. Type `help`.")
        while True:
            chan.write(PROMPT)
            try:
                line = await asyncio.wait_for(self._lines.get(), self._idle_timeout)
            except TimeoutError:
                self._write("\nIdle for too long: closing the session.")
                return
            if self._lines.qsize() < _QUEUED_LINES // 2:
                chan.resume_reading()
            if line is None or line.strip() in EXIT_WORDS:
                return
            await self._one(line)

    async def _one(self, line: str) -> int:
        """Run one line; 0 when it worked, 1 when not (the exit status of an exec request)."""
        if line == "\0too-long":
            self._write(f"error: a line may be at most {const.DEBUG_SSH_MAX_LINE} characters")
            return 1
        line = line.strip()
        if not line:
            return 0
        self._ctx.parts.audit.record(
            "debug_ssh_command",
            user_id=self._ctx.user.id,
            username=self._ctx.user.username,
            ip=self._ctx.ip,
            details={"command": line[:200]},
        )
        try:
            words = split(line)
            output = await execute(self._ctx, words) if words else ""
        except CommandError as err:
            output, status = f"error: {err}", 1
        except HearthError as err:
            output, status = f"error: {err.message}", 1
        except Exception:
            _LOGGER.exception("Debug console command failed")
            output, status = "error: the command failed; see the hub's log", 1
        else:
            status = 0
        self._write(output)
        return status
