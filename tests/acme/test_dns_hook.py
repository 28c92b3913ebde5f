"""The owner's dns-01 command: fixed arguments, a small environment, failures in one line."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from hearth.acme.dns_hook import DnsHook, HookFailed


def hook(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "hook.py"
    path.write_text(f"#!{sys.executable}\nimport os, sys\n{body}\n")
    path.chmod(0o700)
    return path


def test_arguments_environment_and_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEARTH_SECRET_THING", "do-not-pass")
    path = hook(
        tmp_path,
        "open('seen', 'w').write(repr((sys.argv[1:], sorted(os.environ), os.getcwd())))",
    )
    DnsHook(path).run("add", "a.example", "_acme-challenge.a.example", "VALUE")
    args, env, cwd = eval((tmp_path / "seen").read_text())  # noqa: S307 - our own repr
    assert args == ["add", "a.example", "_acme-challenge.a.example", "VALUE"]
    assert "HEARTH_SECRET_THING" not in env
    assert {"HEARTH_ACME_ACTION", "HEARTH_ACME_VALUE"} <= set(env)
    assert os.path.samefile(cwd, tmp_path)


def test_a_failure_is_one_line_with_what_it_said(tmp_path: Path) -> None:
    path = hook(tmp_path, "sys.stderr.write('API says:\\nno such zone\\n'); sys.exit(3)")
    with pytest.raises(HookFailed) as info:
        DnsHook(path).run("add", "a.example", "_acme-challenge.a.example", "v")
    assert str(info.value) == "dns_hook hook.py add a.example exited with 3: API says: no such zone"


def test_a_hook_that_hangs_is_stopped(tmp_path: Path) -> None:
    path = hook(tmp_path, "import time; time.sleep(30)")
    with pytest.raises(HookFailed, match="did not finish within 1 seconds"):
        DnsHook(path, timeout=1).run("add", "a.example", "r", "v")
