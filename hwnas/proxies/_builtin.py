"""Registers the built-in proxies (imported by the package's `__init__`): each module's
classes register with `@PROXIES.register(name)` when it is imported."""

from __future__ import annotations

from hwnas.proxies import _forward, _gradient, _size  # noqa: F401  (register on import)
