"""Hearth: a local-first home-automation hub, secure by default."""

__version__ = "0.1.0"
