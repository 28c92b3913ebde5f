"""The recorder: the history of state changes in its own SQLite file, and reading it back."""

from __future__ import annotations

from aiohttp import web

from hearth.recorder.service import Recorder

KEY_RECORDER: web.AppKey[Recorder] = web.AppKey("hearth_recorder")

__all__ = ["KEY_RECORDER", "Recorder"]
