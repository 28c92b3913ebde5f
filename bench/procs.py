"""Processes for the benchmark: CPU pinning, free ports, waiting, memory."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LOOPBACK_V4 = "127.0.0.1"
LOOPBACK_V6 = "::1"


@dataclass(frozen=True)
class Pinning:
    """Which CPUs the servers and the load generators run on (empty: not pinned)."""

    server: tuple[int, ...]
    client: tuple[int, ...]

    def describe(self) -> str:
        """One line for the report."""
        if not self.server:
            return "not pinned (fewer than 2 CPUs or no taskset)"
        return f"server on CPU {_cpus(self.server)}, load generator on CPU {_cpus(self.client)}"

    def server_prefix(self) -> list[str]:
        """A command prefix that runs a server on the server CPUs."""
        return _prefix(self.server)

    def everywhere(self) -> Pinning:
        """Servers on every CPU (for starts that are not measured); clients unchanged."""
        return Pinning(tuple(sorted({*self.server, *self.client})), self.client)

    def client_prefix(self) -> list[str]:
        """A command prefix that runs a load generator on the client CPUs."""
        return _prefix(self.client)


def _cpus(cpus: tuple[int, ...]) -> str:
    return ",".join(str(cpu) for cpu in cpus)


def _prefix(cpus: tuple[int, ...]) -> list[str]:
    taskset = shutil.which("taskset")
    if not cpus or taskset is None:
        return []
    return [taskset, "-c", _cpus(cpus)]


def plan_pinning() -> Pinning:
    """Last CPU for the servers, the others for clients; none when there is only one CPU."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2 or shutil.which("taskset") is None:
        return Pinning((), ())
    return Pinning((cpus[-1],), tuple(cpus[:-1]))


def pin_self(pinning: Pinning) -> None:
    """Keep the runner (and the clients it starts in-process) off the server CPU."""
    if pinning.client:
        os.sched_setaffinity(0, set(pinning.client))


def pin_process(pid: int, pinning: Pinning) -> None:
    """Move every thread of a running process onto the server CPUs."""
    if not pinning.server:
        return
    for task in Path(f"/proc/{pid}/task").iterdir():
        os.sched_setaffinity(int(task.name), set(pinning.server))


def free_port() -> int:
    """A TCP port free on both loopback addresses right now."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((LOOPBACK_V4, 0))
            port: int = sock.getsockname()[1]
        try:
            with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock6:
                sock6.bind((LOOPBACK_V6, port))
        except OSError:
            continue
        return port
    raise RuntimeError("no TCP port is free on both 127.0.0.1 and ::1")


def port_open(host: str, port: int) -> bool:
    """Whether something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_port(process: subprocess.Popen[bytes], port: int, log: Path, timeout: float) -> None:
    """Wait until the process listens on 127.0.0.1:port; fail with its output if it does not."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{tail(log)}")
        if port_open(LOOPBACK_V4, port):
            return
        time.sleep(0.02)
    process.kill()
    raise RuntimeError(f"server did not listen on port {port} within {timeout}s:\n{tail(log)}")


def tail(path: Path, lines: int = 30) -> str:
    """The last lines of a log file."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def rss_mib(pid: int) -> float:
    """Resident set size of a process in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def clean_env() -> dict[str, str]:
    """Our environment minus anything that could steer the hub."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTH")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def start(
    command: list[str], log: Path, *, cwd: Path | None = None, pinning: Pinning | None = None
) -> subprocess.Popen[bytes]:
    """Start a server process on the server CPU, its output going to `log`."""
    prefix = pinning.server_prefix() if pinning else []
    with log.open("ab") as out:
        return subprocess.Popen(
            [*prefix, *command],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=clean_env(),
            cwd=cwd,
        )


def stop(process: subprocess.Popen[bytes], timeout: float = 10.0) -> int:
    """SIGTERM, then SIGKILL if it does not exit in time; returns the exit code."""
    if process.poll() is None:
        process.terminate()
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait(timeout=timeout)


def python_command(*args: str) -> list[str]:
    """This interpreter (the project venv) running `args`."""
    return [sys.executable, *args]
