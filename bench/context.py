"""What every case needs: settings, CPU pinning, the running hubs and the ceiling."""

from __future__ import annotations

import json
import logging
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench import procs
from bench.hub import Hub, Template
from bench.procs import Pinning
from bench.results import NO_TARGET, CaseResult, Settings, Target

_LOGGER = logging.getLogger(__name__)

# Hub names: each holds a different configuration.
MAIN = "main"  # entities_small, default security settings; ::1 banned when bans exist
LARGE = "large"  # entities_large
MANY_BANS = "bans"  # entities_small and settings.bans stored bans
FLOOD = "flood"  # entities_small; loopback failures counted but never banned (see setup)
TLS_MODERN = "tls-modern"  # ECDSA P-256, ssl_profile: modern
TLS_INTERMEDIATE = "tls-intermediate"  # RSA 2048, ssl_profile: intermediate


@dataclass
class Bench:
    """The shared state of one run."""

    settings: Settings
    pinning: Pinning
    root: Path
    template: Template
    hubs: dict[str, Hub] = field(default_factory=dict)
    ceiling_port: int = 0
    ceiling: subprocess.Popen[bytes] | None = None
    rss_after_start: float = 0.0
    certificates: dict[str, tuple[Path, Path]] = field(default_factory=dict)  # kind: cert, key
    ceiling_tls_ports: dict[str, int] = field(default_factory=dict)  # kind: port
    notes: list[str] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)  # what cases share (a generated history)

    @property
    def token(self) -> str:
        """The long-lived token every hub accepts."""
        return self.template.token

    def hub(self, name: str) -> Hub:
        """A running hub."""
        return self.hubs[name]

    def start_ceiling(
        self,
        routes: dict[str, tuple[int, bytes]],
        extras: dict[str, bytes],
        tls: dict[str, tuple[Path, Path]],
    ) -> None:
        """Write the fixtures and start the bare aiohttp app on the server CPU."""
        fixtures = self.root / "fixtures"
        fixtures.mkdir(exist_ok=True)
        self.write_fixtures(fixtures, routes, extras)
        self.ceiling_port = procs.free_port()
        log = self.root / "ceiling.log"
        tls_args = []
        for kind, (cert, key) in tls.items():
            self.ceiling_tls_ports[kind] = procs.free_port()
            tls_args += [str(self.ceiling_tls_ports[kind]), str(cert), str(key)]
        command = procs.python_command(
            "-m", "bench.ceiling", str(self.ceiling_port), str(fixtures), *tls_args
        )
        self.ceiling = procs.start(command, log, cwd=procs.REPO, pinning=self.pinning)
        procs.wait_port(self.ceiling, self.ceiling_port, log, timeout=30)

    @staticmethod
    def write_fixtures(
        fixtures: Path, routes: dict[str, tuple[int, bytes]], extras: dict[str, bytes]
    ) -> None:
        """What bench.ceiling serves: routes.json, one file per route, and the extras."""
        table = {}
        for number, (path, (status, body)) in enumerate(routes.items()):
            name = f"route{number}.json"
            (fixtures / name).write_bytes(body)
            table[path] = [status, name]
        (fixtures / "routes.json").write_text(json.dumps(table), encoding="utf-8")
        for name, body in extras.items():
            (fixtures / name).write_bytes(body)

    def stop_all(self) -> None:
        """Stop every process this run started (all signalled first, then awaited)."""
        running = [hub.process for hub in self.hubs.values() if hub.process is not None]
        if self.ceiling is not None:
            running.append(self.ceiling)
        for process in running:
            if process.poll() is None:
                process.terminate()
        for hub in self.hubs.values():
            hub.stop()
        if self.ceiling is not None:
            procs.stop(self.ceiling)
            self.ceiling = None


@dataclass(frozen=True)
class Case:
    """One row of the table: how to measure it and what it should reach."""

    key: str
    title: str  # formatted with the settings, e.g. "{entities_small} entities"
    unit: str
    run: Callable[[Bench, CaseResult], None]
    target: Target = NO_TARGET
    reference: str = ""  # Home Assistant 2024.3's figure, where one is known

    def execute(self, bench: Bench) -> CaseResult:
        """Run the case; an exception makes it an error row, and the suite goes on."""
        title = self.title.format(**asdict(bench.settings))
        result = CaseResult(self.key, title, self.unit, self.target, self.reference)
        _LOGGER.info("case: %s", title)
        began = time.monotonic()
        try:
            self.run(bench, result)
        except Exception as err:
            _LOGGER.exception("case %s failed", self.key)
            result.failed(f"{type(err).__name__}: {err}")
        result.details["case_seconds"] = round(time.monotonic() - began, 1)
        return result
