"""Run schemathesis against a live hub; executed by .venv-schemathesis/bin/python, not by pytest.

    python schemathesis_run.py --document openapi.yaml --base-url http://127.0.0.1:PORT
        --token TOKEN --log hub.log [--source 127.0.0.2] [--examples 10] [--derandomize]
        [--report report.json] [--operation "GET /api/"]... [--verbose]

For every operation of the document it generates valid (positive) and invalid (negative) requests
and holds each answer to the fault suite's contract: no 5xx; the status, content type and body
documented for the operation; an error body with a message; no traceback in the hub's log.
Prints one block per failing operation with a curl command that reproduces it; exit status 1
when anything failed. Its own process, because schemathesis patches Hypothesis globally.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import requests
import schemathesis
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from requests.adapters import HTTPAdapter
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

BAD_LOG = re.compile(
    r"Traceback|Error handling request|Unhandled error|Internal error|\" 500 |"
    r"Task exception was never retrieved|Exception in callback|Unexpected error"
)
PAGES = ("/auth/authorize", "/onboarding")
FORM = "application/x-www-form-urlencoded"


class SourceAdapter(HTTPAdapter):
    """Connections from one local address (the fuzzer's, which the hub does not ban)."""

    def __init__(self, source: str) -> None:
        self._source = source
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self._source, 0)
        super().init_poolmanager(*args, **kwargs)


class LogWatch:
    """New lines of the hub's log since the last look."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._offset = len(path.read_bytes())

    def bad_lines(self) -> list[str]:
        data = self._path.read_bytes()
        new, self._offset = data[self._offset :], len(data)
        return [line for line in new.decode(errors="replace").splitlines() if BAD_LOG.search(line)]


def error_body_problem(path: str, response: Any) -> str | None:
    """Why a 4xx answer breaks the contract, or None."""
    if response.status_code < 400 or path.startswith(PAGES):
        return None
    try:
        data = response.json()
    except ValueError:
        return f"{response.status_code} without a JSON body: {response.text[:200]!r}"
    key = "error" if path == "/auth/token" else "message"
    if not isinstance(data, dict) or not isinstance(data.get(key), str) or not data[key]:
        return f"{response.status_code} without a {key!r}: {data!r}"
    return None


def modes(operation: Any) -> list[GenerationMode]:
    """Valid requests always; invalid ones where there is something of the client's to break.

    Not for form bodies of plain optional strings (no form is invalid there: schemathesis spends
    seconds failing to make one; tests/fuzz/test_auth.py sends broken forms itself), and for the
    operations without parameters or body only on GET /api/: what is left to break there is the
    Authorization header, which the same code checks on every route.
    """
    bodies = list(operation.body)
    if bodies and all(body.media_type == FORM for body in bodies):
        return [GenerationMode.POSITIVE]
    if (
        not (operation.path_parameters or operation.query or bodies)
        and operation.label != "GET /api/"
    ):
        return [GenerationMode.POSITIVE]
    return [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]


def run_operation(
    operation: Any, args: argparse.Namespace, session: requests.Session, log: LogWatch
) -> list[str]:
    """Fuzz one operation in both generation modes; the failures found, shrunk."""
    failures: list[str] = []
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    headers = {"Authorization": f"Bearer {args.token}"}
    for mode in modes(operation):
        config = settings(
            max_examples=args.examples,
            derandomize=args.derandomize,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
            report_multiple_bugs=False,
        )

        @config
        @given(case=operation.as_strategy(generation_mode=mode))
        def test(case: Any) -> None:
            response = case.call(
                base_url=args.base_url,
                session=session,
                headers=headers,
                timeout=10,
                allow_redirects=False,
            )
            case.validate_response(response, checks=checks)
            problem = error_body_problem(operation.path, response)
            bad = log.bad_lines()
            if problem or bad:
                curl = case.as_curl_command(headers=headers)
                detail = problem or "the hub logged errors:\n" + "\n".join(bad[:10])
                raise AssertionError(f"{detail}\nReproduce with:\n    {curl}")

        started = time.monotonic()
        try:
            test()
        except Unsatisfiable:
            pass
        except (Exception, BaseExceptionGroup) as err:  # report it, go on with the next
            text = "".join(traceback.format_exception_only(err)).strip()
            failures.append(f"{operation.label} ({mode.value}):\n{text}")
        if args.verbose:
            print(f"{time.monotonic() - started:6.2f} s  {operation.label} ({mode.value})")
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--document", type=Path, required=True)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("--source", default="127.0.0.2")
    parser.add_argument("--examples", type=int, default=10)
    parser.add_argument("--derandomize", action="store_true")
    parser.add_argument("--operation", action="append", default=[], help="only these labels")
    parser.add_argument("--verbose", action="store_true", help="time every operation")
    parser.add_argument("--report", type=Path, help="write {operation: [failures]} as JSON here")
    args = parser.parse_args()

    schema = schemathesis.openapi.from_dict(yaml.safe_load(args.document.read_text()))
    session = requests.Session()
    session.mount("http://", SourceAdapter(args.source))
    log = LogWatch(args.log)
    report: dict[str, list[str]] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        if args.operation and operation.label not in args.operation:
            continue
        report[operation.label] = run_operation(operation, args, session, log)
    failures = [failure for found in report.values() for failure in found]
    print(f"schemathesis: {len(report)} operations, {len(failures)} failing")
    for failure in failures:
        print("\n" + failure)
    if args.report is not None:
        args.report.write_text(json.dumps(report, indent=1))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
