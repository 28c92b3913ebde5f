"""Home Assistant's frontend page: its template rendered once at start-up, with the hashes of
every inline script as it is actually served, for a hash-based CSP.

Threat: a policy written by hand drifts from the page (a new frontend release adds a script) and
is then either broken or widened with 'unsafe-inline'. Here the hashes come from the rendered
bytes, and a template construct this renderer does not know stops the hub at start-up.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from typing import Final

from hearth.exceptions import ConfigError

THEME_COLOR: Final = "#03A9F4"  # the frontend's default, as in its manifest

# `{%- for x in y -%} ... {%- endfor -%}` with the whitespace the dashes remove on both sides.
# Hearth adds no extra modules or scripts, so every loop renders to nothing.
_LOOP: Final = re.compile(
    r"\s*\{%-?\s*for\s+\w+\s+in\s+(\w+)\s*-?%\}.*?\{%-?\s*endfor\s*-?%\}\s*", re.DOTALL
)
_EMPTY_LOOPS: Final = frozenset({"extra_modules", "extra_js_es5"})
_VARIABLE: Final = re.compile(r"\{\{\s*theme_color\s*\}\}")


def package_root() -> Path:
    """Where the installed home-assistant-frontend package keeps its files."""
    import hass_frontend

    return Path(hass_frontend.where()).resolve()


def render(template: str, theme_color: str = THEME_COLOR) -> str:
    """The index page as Home Assistant renders it with no extra modules; ConfigError for any
    template construct not understood here."""

    def loop(match: re.Match[str]) -> str:
        if match.group(1) not in _EMPTY_LOOPS:
            raise ConfigError(f"unexpected loop over {match.group(1)!r} in the frontend's index")
        return ""

    page = _LOOP.sub(loop, template)
    page = _VARIABLE.sub(escape(theme_color, quote=True), page)
    if "{{" in page or "{%" in page:
        raise ConfigError("the frontend's index.html has template code Hearth does not render")
    return page


def csp_hash(content: str) -> str:
    """The CSP source for an inline element with this content."""
    digest = hashlib.sha256(content.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


class _InlineCollector(HTMLParser):
    """Collects the text of inline <script> elements (those without src)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.scripts: list[str] = []
        self._buffer: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script" and not any(name == "src" for name, _ in attrs):
            self._buffer = []

    def handle_data(self, data: str) -> None:
        if self._buffer is not None:
            self._buffer.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._buffer is not None and tag == "script":
            self.scripts.append("".join(self._buffer))
            self._buffer = None


@dataclass(frozen=True, slots=True)
class IndexPage:
    """The rendered page and the CSP sources its inline scripts need."""

    html: bytes
    script_hashes: tuple[str, ...]


def load_index(root: Path | None = None) -> IndexPage:
    """Render the package's index.html and hash the scripts it runs inline."""
    root = root or package_root()
    try:
        template = (root / "index.html").read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"cannot read the frontend's index.html: {err.strerror}") from None
    page = render(template)
    collector = _InlineCollector()
    collector.feed(page)
    collector.close()
    return IndexPage(
        html=page.encode("utf-8"),
        script_hashes=tuple(dict.fromkeys(csp_hash(script) for script in collector.scripts)),
    )
