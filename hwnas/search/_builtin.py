"""Imports the built-in strategies so they register (`hwnas.search` imports this module)."""

from __future__ import annotations

from hwnas.search import _baselines, _coevo, _seki, _spark  # noqa: F401
