"""In-process microbenchmark of the request path: no sockets, no client, µs per request.

`python -m bench.micro [--requests N]` builds the real application (create_app on a demo
config with the bench user's token), hands it pre-built requests and times `app._handle` plus
the response-prepare signal (the security headers). It prints the cost of each check of the
gate on its own, of the 401 and banned paths, of the token check, and a bare aiohttp
application's cost for the same bytes. Socket-level work (parsing, the
per-address connection cap, writing) is not in these numbers: `make bench` has those.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import logging
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from bench.hub import Template, tampered, write_config

Factory = Callable[[int], web.Request]
REPEATS = 3
BANNED_PEER = "10.9.9.9"  # a local address (the network guard lets it through), banned here


class Protocol:
    """Just enough of aiohttp's protocol object: plain attributes (a Mock costs µs per use)."""

    def __init__(self, transport: Transport) -> None:
        self.transport: Any = transport
        self.peername = transport.peer
        self.sockname = ("127.0.0.1", 8123)
        self.ssl_context = None
        self.max_field_size = 8190
        self.max_headers = 100
        self.writer: Any = None


class Transport:
    """Just enough of a transport for the checks: a peer address, no I/O."""

    def __init__(self, peer: str) -> None:
        self.peer = (peer, 40000)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """The peer's address; nothing else."""
        return self.peer if name == "peername" else default

    def is_closing(self) -> bool:
        """Never closing."""
        return False


def requests(app: web.Application, path: str, token: str | None, peers: list[str]) -> Factory:
    """A factory of requests for `path` from the given peers, in turn."""
    headers = {"Host": "127.0.0.1:8123", "User-Agent": "bench-micro"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    prototypes = []
    for peer in peers:
        transport = Transport(peer)
        protocol = Protocol(transport)
        prototypes.append(
            make_mocked_request(
                "GET", path, headers, app=app, transport=transport, protocol=protocol
            )
        )

    def make(number: int) -> web.Request:
        # A clone is a fresh request (own state, no cached properties) without new mocks.
        return prototypes[number % len(prototypes)].clone()

    return make


async def per_request(app: web.Application, make: Factory, count: int) -> float:
    """Best of a few runs, in µs per request, of routing + gate + handler + headers.

    CPU time of this thread, not wall time: other processes on a shared machine preempt us
    without adding to the number.
    """
    best = float("inf")
    for _ in range(REPEATS):
        batch = [make(n) for n in range(count)]
        began = time.thread_time()
        for request in batch:
            response = await app._handle(request)
            await app.on_response_prepare.send(request, response)
        best = min(best, (time.thread_time() - began) / count * 1e6)
    return best


async def started(app: web.Application) -> web.AppRunner:
    """Run the app's startup hooks (its background tasks, its state) without listening."""
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    return runner


def bare_app(body: bytes) -> web.Application:
    """The ceiling: one route returning the same bytes, no middleware, no signals."""

    async def handler(_request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_get("/api/", handler)
    return app


async def check_costs(app: web.Application, make: Factory, count: int) -> list[tuple[str, float]]:
    """Each step of the gate alone (hearth.http.gate), on requests that passed the steps before."""
    (gate,) = app.middlewares
    steps = inspect.getclosurevars(gate).nonlocals
    forwarded = steps["forwarded"]
    match_info = await app.router.resolve(make(0))
    match_info.add_app(app)
    match_info.freeze()
    rows = []
    for check in (steps["target"], forwarded, *steps["after"]):
        best = float("inf")
        for _ in range(REPEATS):
            batch = [make(n) for n in range(count)]
            for request in batch:
                request._match_info = match_info
                if check is not forwarded:
                    forwarded(request)  # the real client, as every check after it sees it
            began = time.thread_time()
            for request in batch:
                check(request)
            best = min(best, (time.thread_time() - began) / count * 1e6)
        rows.append((f"  check {check.__name__} (alone)", best))
    return rows


async def measure(config_dir: Path, token: str, count: int) -> list[tuple[str, float]]:
    """Every scenario's µs per request."""
    from hearth.auth.manager import AuthManager
    from hearth.bootstrap import hub_config, setup_integrations
    from hearth.config import load_config
    from hearth.core.hub import Hub
    from hearth.http.ban import KEY_BANS, record_auth_failure
    from hearth.http.server import create_app

    config = load_config(config_dir)
    auth = AuthManager.open(config_dir)
    hub = Hub(hub_config(config))
    await setup_integrations(hub, config)
    local = ["127.0.0.1"]
    many = [f"127.0.{1 + n // 250}.{1 + n % 250}" for n in range(500)]
    rows: list[tuple[str, float]] = []
    runners = []

    async def app_with(middlewares: bool = True) -> web.Application:
        app = create_app(hub, auth, config)
        if not middlewares:
            app.middlewares.clear()
        runners.append(await started(app))
        return app

    try:
        full = await app_with()
        api = requests(full, "/api/", token, local)
        rows.append(("GET /api/, full stack", await per_request(full, api, count)))
        rows += await check_costs(full, api, count)
        bare_stack = await app_with(middlewares=False)
        rows.append(
            (
                "GET /api/, no gate (routing, view, headers signal)",
                await per_request(bare_stack, requests(bare_stack, "/api/", None, local), count),
            )
        )
        ceiling = bare_app(b'{"message":"API running."}')
        runners.append(await started(ceiling))
        rows.append(
            (
                "GET /api/, bare aiohttp app (ceiling)",
                await per_request(ceiling, requests(ceiling, "/api/", None, local), count),
            )
        )
        entities = len(hub.states.all())
        states = requests(full, "/api/states", token, local)
        rows.append(
            (f"GET /api/states ({entities} entities)", await per_request(full, states, count))
        )
        forged = requests(full, "/api/", tampered(token), many)
        rows.append(
            ("GET /api/, forged token (401, counted)", await per_request(full, forged, count))
        )
        failures = [forged(n) for n in range(count)]
        began = time.thread_time()
        for request in failures:
            record_auth_failure(request, reason="invalid_token")
        rows.append(("  record_auth_failure alone (log, audit, count)",
                     (time.thread_time() - began) / count * 1e6))  # fmt: skip
        await full[KEY_BANS].ban(BANNED_PEER, reason="micro")
        banned = requests(full, "/api/", token, [BANNED_PEER])
        rows.append(("GET /api/, banned client (403)", await per_request(full, banned, count)))
        rows += token_checks(auth, token, count)
    finally:
        for runner in runners:
            await runner.cleanup()
        await hub.stop()
        await auth.aclose()
    return rows


def token_checks(auth: Any, token: str, count: int) -> list[tuple[str, float]]:
    """The token check alone: a valid token (cache hit) and a forged one."""
    rows = []
    for label, value in (("valid", token), ("forged", tampered(token))):
        began = time.thread_time()
        for _ in range(count):
            auth.validate_access_token(value)
        rows.append((f"validate_access_token, {label}", (time.thread_time() - began) / count * 1e6))
    return rows


def main() -> None:
    """Build a config with the CLI, measure, print."""
    parser = argparse.ArgumentParser(prog="python -m bench.micro", description=__doc__)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--entities", type=int, default=200)
    args = parser.parse_args()
    # Failures are logged as the real server logs them, but into the void.
    with open(os.devnull, "w", encoding="utf-8") as void:
        logging.basicConfig(
            level=logging.INFO,
            stream=void,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
        with tempfile.TemporaryDirectory(prefix="hearth-micro-") as tmp:
            template = Template.create(Path(tmp))
            write_config(
                template.config_dir, 8123, args.entities,
                "  login_attempts_threshold: 1000\n  login_attempts_window: 1s\n",
            )  # fmt: skip
            rows = asyncio.run(measure(template.config_dir, template.token, args.requests))
    width = max(len(label) for label, _ in rows)
    print(f"{'scenario':<{width}}  µs/request")
    for label, micros in rows:
        print(f"{label:<{width}}  {micros:9.2f}")


if __name__ == "__main__":
    main()
