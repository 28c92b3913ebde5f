"""Parse YAML text into a node tree (safe YAML only); syntax errors become one-line ConfigErrors."""

from __future__ import annotations

from typing import Final

import yaml
from yaml.composer import ComposerError
from yaml.nodes import Node
from yaml.reader import ReaderError

from hearth.config.paths import show
from hearth.exceptions import ConfigError

MAX_NESTING: Final = 64
MAX_VALUES: Final = 100_000  # per document, and per load after alias expansion


class HearthLoader(yaml.SafeLoader):
    """Safe YAML only; Hearth's own tags are applied to the node tree, never by PyYAML."""

    _depth = 0
    _nodes = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        """Compose one node, refusing to nest deeper than MAX_NESTING or build too many."""
        # PyYAML's scanner slows down quadratically with flow nesting and its composer recurses:
        # stopping early keeps a file of a million "[" cheap. Each node costs tens of µs and a few
        # hundred bytes, so the count is bounded too.
        self._nodes += 1
        if self._depth > MAX_NESTING or self._nodes > MAX_VALUES:
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            problem = (
                f"nested more than {MAX_NESTING} levels deep"
                if self._depth > MAX_NESTING
                else f"more than {MAX_VALUES} values"
            )
            raise ComposerError(None, None, problem, mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def compose(text: str, file: str, *, hide_details: bool = False) -> Node | None:
    """The node tree of the single YAML document in `text`, None when it is empty.

    With `hide_details` (secrets.yaml) a syntax error names only the line: PyYAML's messages can
    quote the text around the error.
    """
    # The ConfigError is raised outside the except blocks: PyYAML's exceptions quote the source,
    # which may hold secrets, and must not ride along as __context__.
    try:
        loader = HearthLoader(text)
        try:
            return loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        detail = exc.problem or exc.context or "syntax error"
        if exc.context and detail.startswith("but "):  # "expected a single document, but found..."
            detail = f"{exc.context}, {detail}"
        elif exc.context and detail == "second occurrence":  # "found duplicate anchor 'a'; ..."
            detail = exc.context.partition(";")[0]
        detail = show(detail, 200)
    except ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        detail = "a control character that YAML does not allow"
    except yaml.YAMLError:
        line, detail = None, "syntax error"
    if hide_details:
        detail = "details hidden because this file holds secrets"
    raise ConfigError(f"invalid YAML ({detail})", file=file, line=line)
