"""`python -m bench`: run the suite, print the table, write the JSON (and the README table)."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
from pathlib import Path

from bench import report, runner
from bench.procs import REPO
from bench.results import Settings


def main(argv: list[str] | None = None) -> int:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="seconds, tiny data; no speed claims")
    parser.add_argument("--rounds", type=int, help="rounds per case (default 5)")
    parser.add_argument("--seconds", type=float, help="seconds per wrk run (default 2)")
    parser.add_argument("--only", help="comma-separated case keys to run")
    parser.add_argument(
        "--out", type=Path, default=REPO / "bench" / "results", help="directory for the JSON"
    )
    parser.add_argument("--readme", type=Path, help="put the table into this README's markers")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    settings = Settings.smoke_run() if args.smoke else Settings()
    changes = {
        name: value
        for name, value in (("rounds", args.rounds), ("seconds", args.seconds))
        if value is not None
    }
    settings = dataclasses.replace(settings, **changes)
    only = set(args.only.split(",")) if args.only else None
    results, meta = runner.run(settings, only)
    markdown = report.render(results, meta)
    print(markdown)
    if not settings.smoke:
        path = report.write_json(results, meta, args.out)
        print(f"Written: {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")
        if args.readme is not None and report.update_readme(args.readme, markdown):
            print(f"Updated the Performance table in {args.readme}")
    print(f"Done in {meta['duration_s']} s.")
    errors = [r for r in results if r.status == "error"]
    skipped = [r for r in results if r.status == "n/a"]
    # A closing line CI reads: a case passes when it could be measured, whatever its speed.
    passed = len(results) - len(errors) - len(skipped)
    print(f"{passed} passed, {len(errors)} failed, {len(skipped)} skipped")
    # Speed never fails the run; a case that could not be measured does.
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
