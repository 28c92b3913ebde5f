"""deploy/container/Containerfile: an unprivileged user, the config as the only volume.

No container engine runs here, so the file is parsed: the instructions of its final stage.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONTAINERFILE = ROOT / "deploy" / "container" / "Containerfile"


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined, current = [], ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        current += line.removesuffix("\\").strip() + " "
        if not line.endswith("\\"):
            joined.append(current.strip())
            current = ""
    assert not current, "a continuation line ends the file"
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1]) for text in joined]


def final_stage() -> list[tuple[str, str]]:
    steps = instructions(CONTAINERFILE)
    last = max(i for i, (name, _) in enumerate(steps) if name == "FROM")
    return steps[last:]


def test_the_hub_runs_as_an_unprivileged_user() -> None:
    stage = final_stage()
    users = [args for name, args in stage if name == "USER"]
    assert users == ["10001:10001"]  # numeric: a runtime can tell it is not root
    created = " ".join(args for name, args in stage if name == "RUN")
    assert "useradd --system --uid 10001" in created
    assert "--shell /usr/sbin/nologin" in created
    assert "--no-create-home" in created
    assert "--allow-root" not in CONTAINERFILE.read_text()


def test_the_entrypoint_serves_the_config_volume() -> None:
    stage = dict(final_stage())
    assert json.loads(stage["ENTRYPOINT"]) == ["/opt/hearth/bin/hearth", "--config", "/config"]
    assert json.loads(stage["CMD"]) == ["run"]
    assert stage["EXPOSE"] == "8123"


def test_the_config_directory_is_the_only_volume_and_is_private() -> None:
    volumes = [json.loads(args) for name, args in instructions(CONTAINERFILE) if name == "VOLUME"]
    assert volumes == [["/config"]]
    created = " ".join(args for name, args in final_stage() if name == "RUN")
    assert "install -d -o hearth -g hearth -m 0700 /config" in created


def test_the_image_needs_no_writable_root() -> None:
    """Bytecode compiled at build time and never written at run time: --read-only works."""
    text = CONTAINERFILE.read_text()
    assert "compileall" in text
    env = " ".join(args for name, args in final_stage() if name == "ENV")
    assert re.search(r"\bPYTHONDONTWRITEBYTECODE=1\b", env)


def test_dependencies_are_installed_from_the_hash_locked_set() -> None:
    build = " ".join(args for name, args in instructions(CONTAINERFILE) if name == "RUN")
    assert "--require-hashes --only-binary=:all: -r requirements.lock" in build
