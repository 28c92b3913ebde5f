"""Where the time goes: one hub under cProfile while one kind of request is loaded.

`python -m bench.profile [--path /api/] [--token valid|forged|none] [--seconds 5]
[--entities 200] [--sources N] [--top 25]` starts a hub under bench.profiler (pinned like
`make bench`), switches the profiler on once the hub answers, loads the path with wrk (or with
bench.httpload over N client addresses), stops the hub and prints the functions with the most
own and cumulative time. `--seconds 0` profiles the start-up instead. cProfile slows the hub
down about twofold: read the shares, not the absolute numbers.
"""

from __future__ import annotations

import argparse
import io
import pstats
import signal
import tempfile
from pathlib import Path

from bench import procs, profiler
from bench.alternate import Endpoint
from bench.hub import Hub, Template, tampered
from bench.runner import flood_config


def profile(args: argparse.Namespace) -> str:
    """Run the hub under the profiler with the load; the statistics as text."""
    pinning = procs.plan_pinning()
    procs.pin_self(pinning)
    with tempfile.TemporaryDirectory(prefix="hearth-profile-") as tmp:
        root = Path(tmp)
        template = Template.create(root)
        hub = Hub.prepare(template, root, "profiled", args.entities, flood_config())
        output = root / "hub.prof"
        startup = args.seconds <= 0
        command = procs.python_command("-m", "bench.profiler", str(output), str(hub.config_dir))
        hub.spawn(pinning, [*command, "--from-start"] if startup else command)
        text = io.StringIO()
        try:
            hub.ready()
            if not startup:
                tokens = {"valid": template.token, "forged": tampered(template.token), "none": None}
                sent = tokens[args.token]
                headers = {} if sent is None else {"Authorization": f"Bearer {sent}"}
                expect = 401 if args.token in ("forged", "none") else 200
                endpoint = Endpoint(
                    "hearth", procs.LOOPBACK_V4, hub.port, args.path, expect, headers, args.sources
                )
                hub.signal(signal.SIGUSR1)
                result = endpoint.run(args.seconds, pinning)
                rate = result.requests_per_second
                text.write(f"{rate:,.0f} req/s under cProfile, {result.requests} requests\n")
        finally:
            hub.stop()
        if not output.exists():
            raise SystemExit(f"no profile written:\n{procs.tail(hub.log)}")
        text.write(f"summary: {profiler.summary(output)}\n")
        stats = pstats.Stats(str(output), stream=text)
        stats.strip_dirs()
        text.write("\n== own time ==\n")
        stats.sort_stats("tottime").print_stats(args.top)
        text.write("\n== cumulative time ==\n")
        stats.sort_stats("cumulative").print_stats(args.top)
        return text.getvalue()


def main() -> None:
    """Parse the options, profile, print."""
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--path", default="/api/")
    parser.add_argument("--token", choices=("valid", "forged", "none"), default="valid")
    parser.add_argument("--seconds", type=float, default=5.0, help="0: profile start-up only")
    parser.add_argument("--entities", type=int, default=200)
    parser.add_argument("--sources", type=int, default=0, help="client addresses (httpload)")
    parser.add_argument("--top", type=int, default=25)
    print(profile(parser.parse_args()))


if __name__ == "__main__":
    main()
