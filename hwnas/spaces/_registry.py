"""The registry of search spaces."""

from __future__ import annotations

from hwnas.core import Registry
from hwnas.spaces._base import SearchSpace

SPACES: Registry[SearchSpace] = Registry("spaces", base=SearchSpace)


def _load_builtins() -> None:
    from hwnas.spaces import _builtin  # noqa: F401  (registers on import)


SPACES.add_builtin_loader(_load_builtins)


def list_spaces(pattern: str = "*") -> list[str]:
    """Names of registered search spaces matching a glob."""
    return SPACES.list(pattern)


def create_space(name: str | SearchSpace) -> SearchSpace:
    """A search space by name (an instance passes through)."""
    return SPACES.resolve(name)
