"""Does the size of the ban list cost anything? The same application with one ban and with many.

A cost of a few percent is below what two server processes on a shared machine can resolve, so
the many-bans case also measures in-process (bench.micro's method: pre-built requests through
`app._handle`, CPU time), alternating the two applications repeat by repeat; the median of the
per-repeat costs is the verdict.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from bench import micro

Cleanup = Callable[[], Awaitable[None]]


async def open_app(config_dir: Path) -> tuple[web.Application, Cleanup]:
    """The real application for a config dir, started without listening; and how to close it."""
    from hearth.auth.manager import AuthManager
    from hearth.bootstrap import hub_config, setup_integrations
    from hearth.config import load_config
    from hearth.core.hub import Hub
    from hearth.http.server import create_app

    config = load_config(config_dir)
    auth = AuthManager.open(config_dir)
    hub = Hub(hub_config(config))
    await setup_integrations(hub, config)
    app = create_app(hub, auth, config)
    runner = await micro.started(app)

    async def cleanup() -> None:
        await runner.cleanup()
        await hub.stop()
        await auth.aclose()

    return app, cleanup


async def costs(few: Path, many: Path, token: str, count: int, repeats: int) -> list[float]:
    """Per repeat, 1 − (µs per request with few bans ÷ µs with many): the share many bans cost."""
    few_app, close_few = await open_app(few)
    many_app, close_many = await open_app(many)
    try:
        few_requests = micro.requests(few_app, "/api/", token, ["127.0.0.1"])
        many_requests = micro.requests(many_app, "/api/", token, ["127.0.0.1"])
        result = []
        for _ in range(repeats):
            few_us = await micro.per_request(few_app, few_requests, count)
            many_us = await micro.per_request(many_app, many_requests, count)
            result.append(1 - few_us / many_us)
        return result
    finally:
        await close_few()
        await close_many()
