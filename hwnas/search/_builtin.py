"""Imports the built-in strategies and the `ensemble` objective source so they register
(`hwnas.search` imports this module)."""

from __future__ import annotations

from hwnas.search import _baselines, _coevo, _ensemble_source, _seki, _spark  # noqa: F401
