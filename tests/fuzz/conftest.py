"""Fixtures of the fault suite: real hubs under fuzz, each with a bystander client."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.acceptance.conftest import hub_template  # noqa: F401 - the shared config template
from tests.acceptance.support import (
    RunningHub,
    free_port,
    start_hub,
    wait_listening,
    write_config,
)
from tests.fuzz.client import FUZZ_HTTP_CONFIG
from tests.fuzz.harness import FuzzHub, fuzzing


def _fuzzed_hub(directory: Path, template: tuple[Path, str]) -> Iterator[FuzzHub]:
    """A demo hub that does not ban the fuzzer's address, with an observer attached.

    Unlike `hub_factory`, teardown only stops the hub: the tests check the log after every
    example, and a fault found by a test marked `xfail` must fail that test, not its teardown.
    """
    template_dir, token = template
    config_dir = directory / "config"
    shutil.copytree(template_dir, config_dir)
    port = free_port()
    write_config(config_dir, port, http_extra=FUZZ_HTTP_CONFIG)
    log_path = directory / "hub.log"
    process = start_hub(config_dir, port, log_path)
    running = RunningHub(config_dir, port, token, process, log_path)
    try:
        wait_listening(process, port, log_path)
        with fuzzing(running) as fuzz:
            yield fuzz
    finally:
        if process.poll() is None:
            running.stop()


@pytest.fixture(scope="module")
def module_hub(
    tmp_path_factory: pytest.TempPathFactory,
    hub_template: tuple[Path, str],  # noqa: F811
) -> Iterator[FuzzHub]:
    """One hub for the tests of a module that leave it healthy (hub starts cost seconds)."""
    yield from _fuzzed_hub(tmp_path_factory.mktemp("fuzz"), hub_template)


@pytest.fixture
def fuzz_hub(module_hub: FuzzHub) -> Iterator[FuzzHub]:
    """The module's hub, checked before and after the test."""
    module_hub.assert_healthy()
    yield module_hub
    module_hub.assert_healthy()


@pytest.fixture
def own_hub(tmp_path: Path, hub_template: tuple[Path, str]) -> Iterator[FuzzHub]:  # noqa: F811
    """A hub of its own, for a test that is expected to leave its hub broken (xfail)."""
    yield from _fuzzed_hub(tmp_path, hub_template)
