"""The registry of search spaces (the built-ins register in `_builtin`, which the package
imports; third-party spaces arrive through the `hwnas.spaces` entry-point group)."""

from __future__ import annotations

from hwnas.core import Registry
from hwnas.spaces._base import SearchSpace

SPACES: Registry[SearchSpace] = Registry("spaces", base=SearchSpace)


def list_spaces(pattern: str = "*") -> list[str]:
    """Names of registered search spaces matching a glob."""
    return SPACES.list(pattern)


def create_space(name: str | SearchSpace) -> SearchSpace:
    """A search space by name (an instance passes through)."""
    return SPACES.resolve(name)
