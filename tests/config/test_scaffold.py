"""write_demo_config: creates a demo configuration once and never overwrites."""

from __future__ import annotations

import stat
from pathlib import Path

from hearth.config import DemoSection, load_config, write_demo_config


def test_creates_directory_and_demo_configuration(tmp_path: Path) -> None:
    """A missing config dir is created private, with a configuration that loads."""
    config_dir = tmp_path / "new" / "config"
    assert write_demo_config(config_dir) is True
    assert stat.S_IMODE(config_dir.stat().st_mode) & 0o077 == 0
    config = load_config(config_dir)
    assert config.homeassistant.name == "Demo Home"
    assert config.demo == DemoSection()
    assert config.http.server_port == 8123
    assert config.http.server_host == ["0.0.0.0", "::"]


def test_demo_configuration_is_commented(tmp_path: Path) -> None:
    """The file explains itself."""
    write_demo_config(tmp_path)
    text = (tmp_path / "configuration.yaml").read_text(encoding="utf-8")
    assert text.startswith("# ")
    assert "secrets.yaml" in text
    assert "docs/configuration.md" in text


def test_never_overwrites(config_dir: Path) -> None:
    """An existing configuration.yaml is left exactly as it is."""
    target = config_dir / "configuration.yaml"
    target.write_text("homeassistant:\n  name: Mine\n", encoding="utf-8")
    assert write_demo_config(config_dir) is False
    assert target.read_text(encoding="utf-8") == "homeassistant:\n  name: Mine\n"


def test_second_call_changes_nothing(config_dir: Path) -> None:
    """Running init-demo twice keeps the first result."""
    assert write_demo_config(config_dir) is True
    target = config_dir / "configuration.yaml"
    target.write_text("# edited\n", encoding="utf-8")
    assert write_demo_config(config_dir) is False
    assert target.read_text(encoding="utf-8") == "# edited\n"


def test_existing_directory_mode_is_kept(config_dir: Path) -> None:
    """An existing config dir keeps its permissions."""
    config_dir.chmod(0o750)
    assert write_demo_config(config_dir) is True
    assert stat.S_IMODE(config_dir.stat().st_mode) == 0o750


def test_dangling_symlink_is_not_followed(config_dir: Path, tmp_path: Path) -> None:
    """A configuration.yaml symlink, even a dangling one, counts as existing: nothing is written."""
    (config_dir / "configuration.yaml").symlink_to(tmp_path / "elsewhere.yaml")
    assert write_demo_config(config_dir) is False
    assert not (tmp_path / "elsewhere.yaml").exists()
