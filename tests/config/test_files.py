"""confine and read_text: files stay inside the config dir and within the size limit."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hearth.config.files import MAX_FILE_SIZE, UnusableFileError, confine, read_text


@pytest.fixture
def root(config_dir: Path) -> Path:
    """The real path of the config dir, as the loader passes it."""
    return Path(os.path.realpath(config_dir))


@pytest.mark.parametrize(
    ("relative", "display"),
    [
        ("configuration.yaml", "configuration.yaml"),
        ("includes/http.yaml", "includes/http.yaml"),
        ("includes/../http.yaml", "http.yaml"),
        ("./a//b.yaml", "a/b.yaml"),
    ],
)
def test_confine_inside(root: Path, relative: str, display: str) -> None:
    """Paths inside the config dir resolve, with a normalised display name."""
    real, shown = confine(root, relative)
    assert shown == display
    assert real == root / display


@pytest.mark.parametrize(
    "relative", ["..", "../outside.yaml", "includes/../../outside.yaml", "a/../../../etc/passwd"]
)
def test_confine_refuses_dotdot_escape(root: Path, relative: str) -> None:
    """`../` that leaves the config dir is refused before touching the file system."""
    with pytest.raises(UnusableFileError, match=r"^points outside the configuration directory$"):
        confine(root, relative)


def test_confine_refuses_absolute_path(root: Path) -> None:
    """Absolute paths are refused even when they point inside."""
    with pytest.raises(UnusableFileError, match="must be a path relative"):
        confine(root, str(root / "configuration.yaml"))


def test_confine_refuses_symlink_escape(root: Path) -> None:
    """A symlink inside the dir that points outside it is refused."""
    (root / "link.yaml").symlink_to(root.parent / "outside.yaml")
    with pytest.raises(UnusableFileError, match=r"\(through a symlink\)$"):
        confine(root, "link.yaml")


def test_confine_refuses_symlink_loop(root: Path) -> None:
    """A symlink loop resolves to something that is not a readable file."""
    (root / "loop.yaml").symlink_to("loop.yaml")
    real, _ = confine(root, "loop.yaml")
    with pytest.raises(UnusableFileError):
        read_text(real)


def test_read_text(root: Path) -> None:
    """A UTF-8 file is returned as text."""
    (root / "a.yaml").write_text("name: Café\n", encoding="utf-8")
    assert read_text(root / "a.yaml") == "name: Café\n"


def test_read_text_size_limit(root: Path) -> None:
    """Exactly MAX_FILE_SIZE bytes is fine, one more is not."""
    (root / "a.yaml").write_bytes(b"#" * MAX_FILE_SIZE)
    assert len(read_text(root / "a.yaml")) == MAX_FILE_SIZE
    (root / "a.yaml").write_bytes(b"#" * (MAX_FILE_SIZE + 1))
    with pytest.raises(UnusableFileError, match=r"^is larger than 1 MiB$"):
        read_text(root / "a.yaml")


def test_read_text_invalid_utf8_names_the_line(root: Path) -> None:
    """Bytes that are not UTF-8 are reported with their line."""
    (root / "a.yaml").write_bytes(b"a: 1\nb: \xff\n")
    with pytest.raises(UnusableFileError) as info:
        read_text(root / "a.yaml")
    assert (info.value.reason, info.value.line) == ("is not valid UTF-8 text", 2)


def test_read_text_missing(root: Path) -> None:
    """A missing file is reported as such."""
    with pytest.raises(UnusableFileError, match=r"^does not exist$"):
        read_text(root / "missing.yaml")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads everything")
def test_read_text_unreadable(root: Path) -> None:
    """A file we may not read is reported as such."""
    (root / "a.yaml").write_text("a: 1\n", encoding="utf-8")
    (root / "a.yaml").chmod(0)
    with pytest.raises(UnusableFileError, match="permission denied"):
        read_text(root / "a.yaml")


def test_error_about_the_file_itself() -> None:
    """`at` turns a problem into a ConfigError naming the file (and line, if known)."""
    error = UnusableFileError("is not valid UTF-8 text", line=3).at("includes/x.yaml")
    assert str(error) == "includes/x.yaml, line 3: the file is not valid UTF-8 text"
