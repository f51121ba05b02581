"""Imports the built-in strategies so they register."""

from __future__ import annotations

from hwnas.search import _baselines, _coevo  # noqa: F401
