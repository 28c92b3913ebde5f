"""Hearth as the benchmark runs it: a real process with a demo config and a long-lived token."""

from __future__ import annotations

import http.client
import secrets
import shutil
import ssl
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import procs
from bench.procs import LOOPBACK_V4, Pinning

# Random per process: a fixed one could land on the password policy's blocklist one day.
PASSWORD = secrets.token_urlsafe(24)
USERNAME = "bench"
START_TIMEOUT = 30.0
CLI_TIMEOUT = 60.0


@dataclass(frozen=True)
class Reply:
    """One HTTP response."""

    status: int
    headers: dict[str, str]
    body: bytes


def request(
    port: int,
    method: str,
    path: str,
    *,
    host: str = LOOPBACK_V4,
    token: str | None = None,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
    tls: bool = False,
) -> Reply:
    """One request on a fresh connection (stdlib client); over TLS without verification."""
    conn: http.client.HTTPConnection
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # the bench's own throwaway self-signed certificate
        conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=context)
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        conn.request(method, path, body=body, headers=sent)
        resp = conn.getresponse()
        return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
    finally:
        conn.close()


def tampered(token: str) -> str:
    """The token with one character of its signature changed: decodes, then fails the HMAC."""
    head, _, signature = token.rpartition(".")
    index = len(signature) // 2
    replacement = "B" if signature[index] == "A" else "A"
    return f"{head}.{signature[:index]}{replacement}{signature[index + 1 :]}"


def hearth_cli(config_dir: Path, *args: str, stdin: str | None = None) -> str:
    """Run `python -m hearth -c DIR ...`; its stdout, or RuntimeError with its stderr."""
    done = subprocess.run(
        procs.python_command("-m", "hearth", "-c", str(config_dir), *args),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        env=procs.clean_env(),
        cwd=config_dir.parent,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"hearth {args[0]} failed: {done.stderr.strip()}")
    return done.stdout


def entity_counts(entities: int) -> tuple[int, int, int]:
    """Lights, switches and sensors adding up to `entities` (half lights, a quarter each else)."""
    lights = entities // 2
    switches = entities // 4
    return lights, switches, entities - lights - switches


def write_config(config_dir: Path, port: int, entities: int, http_extra: str = "") -> None:
    """configuration.yaml: loopback only (IPv4 and IPv6), demo entities that stay still.

    `http_extra` holds more `http:` keys, each line indented by two spaces.
    """
    lights, switches, sensors = entity_counts(entities)
    # Sensors update once a day: background writes would add noise to every measurement.
    (config_dir / "configuration.yaml").write_text(
        "homeassistant:\n"
        "  name: Bench Home\n"
        "http:\n"
        f"  server_host: ['{LOOPBACK_V4}', '::1']\n"
        f"  server_port: {port}\n" + http_extra + "demo:\n"
        f"  lights: {lights}\n"
        f"  switches: {switches}\n"
        f"  sensors: {sensors}\n"
        "  sensor_interval: 86400\n",
        encoding="utf-8",
    )


@dataclass
class Template:
    """A config dir holding the bench user and its long-lived token, made with the CLI."""

    config_dir: Path
    token: str

    @classmethod
    def create(cls, root: Path) -> Template:
        """Create the user and the token once; every hub starts from a copy."""
        config_dir = root / "template"
        config_dir.mkdir(mode=0o700, parents=True)
        write_config(config_dir, procs.free_port(), 1)
        add = ("user", "add", USERNAME, "--admin", "--password-stdin")
        hearth_cli(config_dir, *add, stdin=PASSWORD + "\n")
        token = hearth_cli(config_dir, "token", "create", USERNAME, "--name", "bench").strip()
        return cls(config_dir, token)


@dataclass
class Hub:
    """One Hearth process for the benchmark."""

    name: str
    config_dir: Path
    port: int
    token: str
    entities: int
    log: Path
    tls: bool = False
    process: subprocess.Popen[bytes] | None = None
    startup_seconds: list[float] = field(default_factory=list)
    began: float = 0.0

    @classmethod
    def prepare(
        cls,
        template: Template,
        root: Path,
        name: str,
        entities: int,
        http_extra: str = "",
        files: tuple[Path, ...] = (),
    ) -> Hub:
        """Copy the template (and `files`, e.g. a certificate) into its own config dir."""
        config_dir = root / name
        shutil.copytree(template.config_dir, config_dir)
        for path in files:
            shutil.copy2(path, config_dir / path.name)
        port = procs.free_port()
        write_config(config_dir, port, entities, http_extra)
        tls = "ssl_certificate" in http_extra
        return cls(name, config_dir, port, template.token, entities, root / f"{name}.log", tls)

    def spawn(self, pinning: Pinning, command: list[str] | None = None) -> None:
        """Start `hearth run` (or `command`, e.g. under a profiler); see `ready`."""
        self.began = time.perf_counter()
        cwd = self.config_dir.parent
        if command is None:
            # --allow-root: a benchmark started as root measures the hub as it is, without a switch.
            command = procs.python_command(
                "-m", "hearth", "-c", str(self.config_dir), "run", "--allow-root"
            )
        else:
            cwd = procs.REPO  # a bench module (`-m bench.profiler`) must be importable
        self.process = procs.start(command, self.log, cwd=cwd, pinning=pinning)

    def start(self, pinning: Pinning) -> float:
        """Start the hub; seconds from spawning to the first successful authenticated request."""
        self.spawn(pinning)
        return self.ready()

    def ready(self) -> float:
        """Wait for the first 200 to an authenticated GET /api/; seconds since the spawn."""
        assert self.process is not None, f"hub {self.name} was not started"
        deadline = self.began + START_TIMEOUT
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"hub {self.name} exited:\n{procs.tail(self.log)}")
            try:
                reply = request(
                    self.port, "GET", "/api/", token=self.token, timeout=2, tls=self.tls
                )
                if reply.status == 200:
                    elapsed = time.perf_counter() - self.began
                    self.startup_seconds.append(elapsed)
                    return elapsed
            except OSError:
                pass
            time.sleep(0.005)
        self.stop()
        raise RuntimeError(f"hub {self.name} did not answer in {START_TIMEOUT}s")

    def signal(self, signum: int) -> None:
        """Send a signal to the running process."""
        assert self.process is not None, f"hub {self.name} is not running"
        self.process.send_signal(signum)

    def stop(self) -> None:
        """Stop the process (SIGTERM) if it runs."""
        if self.process is not None:
            procs.stop(self.process)
            self.process = None

    @property
    def pid(self) -> int:
        """The running process id."""
        assert self.process is not None, f"hub {self.name} is not running"
        return self.process.pid

    def get(self, path: str, *, token: str | None = None, host: str = LOOPBACK_V4) -> Reply:
        """GET with the given token (none by default)."""
        return request(self.port, "GET", path, host=host, token=token, tls=self.tls)
