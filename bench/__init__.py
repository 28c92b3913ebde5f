"""Hearth's benchmark suite: what its protections cost, against a bare aiohttp ceiling."""
