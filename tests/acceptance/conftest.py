"""Fixtures that start the real hub (`python -m hearth run`) as a separate process."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.acceptance.nginx import nginx_factory  # noqa: F401 - a fixture for every acceptance test
from tests.acceptance.support import (
    HubFactory,
    RunningHub,
    create_token,
    create_user,
    free_port,
    start_hub,
    wait_listening,
    write_config,
)


@pytest.fixture(scope="session")
def hub_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A config dir whose store holds the admin user and a token, both made with the CLI."""
    # Once per session: Argon2 and interpreter start-ups add up. Each hub runs on its own copy.
    config_dir = tmp_path_factory.mktemp("template") / "config"
    write_config(config_dir, free_port())
    create_user(config_dir)
    return config_dir, create_token(config_dir)


@pytest.fixture
def hub_factory(tmp_path: Path, hub_template: tuple[Path, str]) -> Iterator[HubFactory]:
    """Start configured hubs on demand; each is stopped with SIGTERM and checked at teardown."""
    started: list[RunningHub] = []
    template_dir, token = hub_template

    def factory(
        extra_config: str = "", http_extra: str = "", *, restart: RunningHub | None = None
    ) -> RunningHub:
        """A new hub; with `restart=hub`, that hub stopped and started again on its dir and port."""
        if restart is None:
            config_dir = tmp_path / f"config{len(started)}"
            shutil.copytree(template_dir, config_dir)
            port = free_port()
            write_config(config_dir, port, extra_config, http_extra)
        else:
            assert restart.stop() == 0, restart.log()
            config_dir, port = restart.config_dir, restart.port
        log_path = tmp_path / f"hub{len(started)}.log"
        process = start_hub(config_dir, port, log_path)
        running = RunningHub(config_dir, port, token, process, log_path)
        started.append(running)
        wait_listening(process, port, log_path)
        return running

    yield factory

    failures = []
    for running in started:
        if running.process.poll() is None:
            code = running.stop()
            if code != 0:
                failures.append(f"hub exited with {code} on SIGTERM:\n{running.log()}")
        elif not running.stopped:
            failures.append(
                f"hub died during the test ({running.process.returncode}):\n{running.log()}"
            )
        try:
            running.assert_clean_log()
        except AssertionError as err:
            failures.append(str(err))
    assert not failures, "\n\n".join(failures)


@pytest.fixture
def hub(hub_factory: HubFactory) -> RunningHub:
    """One running demo hub with an admin user and a long-lived token."""
    return hub_factory()
