"""schemathesis against the live hub, from the OpenAPI document the hub serves to admins.

The run happens once per module, in schemathesis' own venv (`make system-test-deps` builds it),
by tests/fuzz/schemathesis_run.py; each operation of the document is then one test here, so a
known fault can be marked on the operation it concerns.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Final

import pytest

from hearth.api.openapi import PATH, load_document
from tests.acceptance.support import HOST
from tests.fuzz.client import FUZZER, exchange, json_body
from tests.fuzz.harness import FuzzHub
from tests.fuzz.profiles import profile_name, time_limit

pytestmark = pytest.mark.acceptance

ROOT: Final = Path(__file__).resolve().parents[2]
PYTHON: Final = ROOT / ".venv-schemathesis" / "bin" / "python"
RUNNER: Final = Path(__file__).with_name("schemathesis_run.py")
# Examples per operation and generation mode; `make fuzz` (profile long) runs 40 times as many.
EXAMPLES: Final = {"ci": 5, "long": 200}
RUN_TIMEOUT: Final = {"ci": 170, "long": 3000}

LABELS: Final = [
    f"{method.upper()} {path}"
    for path, item in load_document()["paths"].items()
    for method in item
    if method in ("get", "post", "put", "delete", "patch")
]


@pytest.fixture(scope="module")
def report(module_hub: FuzzHub, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """{operation: [failures]} from one schemathesis run against the module's hub."""
    if not PYTHON.exists():
        pytest.skip("schemathesis is not installed: run `make system-test-deps`")
    # The document under test is the one the hub serves, not the file in the tree.
    served = exchange(module_hub.hub, "GET", PATH, token=module_hub.token)
    assert served.status == 200, served
    document = tmp_path_factory.mktemp("schemathesis") / "openapi.json"
    document.write_text(json.dumps(json_body(served)))
    output = document.with_name("report.json")
    profile = profile_name()
    command = [
        str(PYTHON),
        str(RUNNER),
        f"--document={document}",
        f"--base-url=http://{HOST}:{module_hub.hub.port}",
        f"--token={module_hub.token}",
        f"--log={module_hub.hub.log_path}",
        f"--source={FUZZER}",
        f"--examples={EXAMPLES[profile]}",
        f"--report={output}",
    ]
    if profile == "ci":
        command.append("--derandomize")
    run = subprocess.run(
        command, capture_output=True, text=True, timeout=RUN_TIMEOUT[profile], check=False
    )
    assert output.exists(), f"schemathesis did not run:\n{run.stdout}\n{run.stderr}"
    found: dict[str, list[str]] = json.loads(output.read_text())
    return found


@pytest.mark.timeout(time_limit(200))
@pytest.mark.parametrize("label", LABELS)
def test_operation(report: dict[str, list[str]], module_hub: FuzzHub, label: str) -> None:
    assert label in report, f"schemathesis did not run {label}"
    assert not report[label], "\n\n".join(report[label])
    module_hub.assert_healthy()
