"""Run the suite: provision the hubs, capture what the ceiling must return, run every case."""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from bench import (
    cases_browser,
    cases_http,
    cases_process,
    cases_recorder,
    cases_tls,
    cases_ws,
    features,
    hotspots,
    procs,
    report,
    wrk,
    wsclient,
)
from bench.context import FLOOD, LARGE, MAIN, MANY_BANS, Bench, Case
from bench.hub import Hub, Template, tampered
from bench.procs import LOOPBACK_V4, LOOPBACK_V6
from bench.results import CaseResult, Settings

_LOGGER = logging.getLogger(__name__)

TOGGLE = (
    b'{"id":%d,"type":"call_service","domain":"light","service":"toggle",'
    b'"service_data":{"entity_id":"light.demo_light_1"}}'
)


def flood_config() -> str:
    """The flood hub: every failure counted, but no client reaches the threshold in its window.

    The invalid-token flood comes from many addresses at some hundred failures per second each,
    the failing logins from ::1 at a few dozen per second: both stay under 1000 per second, so
    the 401 and login paths are measured with all their bookkeeping and without a ban.
    """
    if not features.has_bans():
        return ""
    return "  login_attempts_threshold: 1000\n  login_attempts_window: 1s\n"


def provision(bench: Bench) -> None:
    """Create each hub's config dir (and its stored bans) before anything starts."""
    s, tpl, root = bench.settings, bench.template, bench.root
    hubs = [
        Hub.prepare(tpl, root, MAIN, s.entities_small),
        Hub.prepare(tpl, root, LARGE, s.entities_large),
        Hub.prepare(tpl, root, FLOOD, s.entities_small, flood_config()),
    ]
    if features.has_bans():
        # The banned-client case sends its load over IPv6 and everything else over IPv4.
        features.ban_with_cli(hubs[0].config_dir, LOOPBACK_V6)
        many = Hub.prepare(tpl, root, MANY_BANS, s.entities_small)
        features.store_bans(many.config_dir, features.ban_clients(s.bans))
        hubs.append(many)
    if features.has_tls():
        hubs += cases_tls.provision(bench)
    bench.hubs = {hub.name: hub for hub in hubs}


def start_hubs(bench: Bench) -> None:
    """Start the main hub several times (start-up time), then the others."""
    main = bench.hub(MAIN)
    # The smoke run claims no speed: there the main hub starts together with the others.
    for number in range(0 if bench.settings.smoke else bench.settings.startups):
        if number:
            main.stop()
        main.start(bench.pinning)
    if not bench.settings.smoke:
        time.sleep(0.5)
        bench.rss_after_start = procs.rss_mib(main.pid)
    others = [hub for hub in bench.hubs.values() if hub.process is None]
    # Started on all CPUs at once (only the main hub's start is measured), pinned once up.
    for hub in others:
        hub.spawn(bench.pinning.everywhere())
    for hub in others:
        try:
            hub.ready()
            procs.pin_process(hub.pid, bench.pinning)
        except RuntimeError as err:
            if not hub.tls:
                raise
            # TLS may be configurable before it is served: report it, measure the rest.
            bench.notes.append(f"TLS hub {hub.name} did not start: {str(err)[-300:]}")
            hub.stop()
            del bench.hubs[hub.name]
    if bench.settings.smoke:
        bench.rss_after_start = procs.rss_mib(main.pid)


async def _capture_event(port: int, token: str) -> bytes:
    """One state_changed event as Hearth sends it (the light is toggled back afterwards)."""
    conn = await wsclient.connect(LOOPBACK_V4, port, token)
    conn.send(b'{"id":1,"type":"subscribe_events","event_type":"state_changed"}')
    event: Any = None
    conn.send(TOGGLE % 2)
    while event is None:
        message = await conn.receive()
        if message.get("type") == "event":
            event = message["event"]
    conn.send(TOGGLE % 3)
    while (await conn.receive()).get("id") != 3:
        pass
    conn.close()
    return orjson.dumps(event)


def start_ceiling(bench: Bench) -> None:
    """Capture Hearth's bodies and start the ceiling serving the same bytes."""
    main, token = bench.hub(MAIN), bench.token
    event = asyncio.run(_capture_event(main.port, token))
    captured = {
        "/api/": (main.get("/api/", token=token), 200),
        "/api/states": (main.get("/api/states", token=token), 200),
        "/ceiling/states-large": (bench.hub(LARGE).get("/api/states", token=token), 200),
        "/ceiling/401": (
            bench.hub(FLOOD).get("/api/", token=tampered(token)),
            401,
        ),
    }
    if features.has_bans():
        captured["/ceiling/403"] = (main.get("/api/", token=token, host=LOOPBACK_V6), 403)
    for path, (reply, status) in captured.items():
        if reply.status != status:
            raise RuntimeError(f"capturing {path}: Hearth answered {reply.status}, not {status}")
    routes = {path: (status, reply.body) for path, (reply, status) in captured.items()}
    extras = {"states.json": routes["/api/states"][1], "event.json": event}
    bench.start_ceiling(routes, extras, tls=bench.certificates)


def smoke_wrk_check(bench: Bench) -> str:
    """The smoke run's cases are too short for wrk; prove once that wrk runs and parses."""
    url = f"http://{LOOPBACK_V4}:{bench.ceiling_port}/api/"
    result = wrk.run(url, 1, bench.pinning)
    return f"wrk check against the ceiling: {result.requests_per_second:,.0f} req/s"


def all_cases() -> tuple[Case, ...]:
    """Every case in the order of the table."""
    return (
        *cases_http.CASES,
        *cases_ws.CASES,
        *cases_process.CASES_LOGIN,
        *cases_process.CASES_START,
        *cases_process.CASES_END,
        *cases_tls.CASES,
        *cases_browser.CASES,
        *cases_recorder.CASES,
    )


def run(
    settings: Settings, only: set[str] | None = None
) -> tuple[list[CaseResult], dict[str, Any]]:
    """Run the suite; returns the rows and the run's description."""
    pinning = procs.plan_pinning()
    procs.pin_self(pinning)
    began = time.monotonic()
    meta: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": report.machine(),
        "load": wrk.settings() + "; WebSocket: a raw-frame asyncio client, one process",
        "pinning": pinning.describe(),
        "rounds": f"{settings.rounds} rounds of {settings.seconds:g} s per case and server",
        "settings": settings.__dict__,
    }
    with tempfile.TemporaryDirectory(prefix="hearth-bench-") as tmp:
        bench = Bench(settings, pinning, Path(tmp), Template.create(Path(tmp)))
        try:
            _LOGGER.info("template ready")
            provision(bench)
            _LOGGER.info("hubs provisioned")
            start_hubs(bench)
            _LOGGER.info("hubs started")
            start_ceiling(bench)
            _LOGGER.info("ceiling started")
            if settings.smoke:
                bench.notes.append(smoke_wrk_check(bench))
            results = [
                case.execute(bench) for case in all_cases() if only is None or case.key in only
            ]
            if not settings.smoke:
                hotspots.explain(bench, results)
        except Exception:
            for hub in bench.hubs.values():
                _LOGGER.error("log of hub %s:\n%s", hub.name, procs.tail(hub.log))
            raise
        finally:
            bench.stop_all()
        meta["notes"] = bench.notes
    meta["duration_s"] = round(time.monotonic() - began, 1)
    return results, meta
