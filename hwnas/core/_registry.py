"""One registry helper shared by every plugin kind (spaces, profilers, predictors, ...)."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

from hwnas.core._errors import DuplicatePluginError, UnknownPluginError

T = TypeVar("T")


class Registry(Generic[T]):
    """Names to factories for one plugin kind.

    Built-in plugins register with the `register(name)` decorator (or a call of it) when
    their package imports its `_builtin` module; a registry module never imports its
    plugins. Third-party plugins arrive through the entry-point group `hwnas.<kind>` and
    are loaded on the first lookup, never at import time. The groups: `hwnas.spaces`,
    `hwnas.profilers`, `hwnas.predictors`, `hwnas.feature_encoders`, `hwnas.proxies`,
    `hwnas.strategies`, `hwnas.objective_sources`, `hwnas.executors` (docs/plugins.md).
    """

    def __init__(self, kind: str, base: type | None = None) -> None:
        self.kind = kind
        self.base = base
        self.entry_point_group = f"hwnas.{kind}"
        self._factories: dict[str, Callable[..., T]] = {}
        self._loaded = False

    def register(self, name: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
        """Decorator: register a class or factory under `name` (a duplicate name raises)."""

        def decorator(factory: Callable[..., T]) -> Callable[..., T]:
            self._add(name, factory)
            return factory

        return decorator

    def _add(self, name: str, factory: Callable[..., T]) -> None:
        if name in self._factories and self._factories[name] is not factory:
            raise DuplicatePluginError(
                f"{self.kind} plugin {name!r} is already registered; pick another name"
            )
        self._factories[name] = factory

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        for entry in entry_points(group=self.entry_point_group):
            if entry.name not in self._factories:
                self._add(entry.name, entry.load())

    def list(self, pattern: str = "*") -> list[str]:
        """Registered names matching a glob pattern, sorted."""
        self._load()
        return sorted(n for n in self._factories if fnmatch.fnmatch(n, pattern))

    def get(self, name: str) -> Callable[..., T]:
        """The factory registered under `name`."""
        self._load()
        try:
            return self._factories[name]
        except KeyError:
            known = ", ".join(self.list()) or "none"
            raise UnknownPluginError(
                f"unknown {self.kind} {name!r}; known {self.kind}: {known}"
            ) from None

    def create(self, name: str, **options: Any) -> T:
        """Build the plugin registered under `name` with `options`."""
        return self.get(name)(**options)

    def resolve(self, name_or_instance: str | T, **options: Any) -> T:
        """Accept a plugin name (built with `options`) or an already built instance."""
        if isinstance(name_or_instance, str):
            return self.create(name_or_instance, **options)
        if self.base is not None and not isinstance(name_or_instance, self.base):
            raise TypeError(
                f"expected a {self.kind} name or a {self.base.__name__} instance, "
                f"got {type(name_or_instance).__name__}"
            )
        return name_or_instance

    def __contains__(self, name: object) -> bool:
        self._load()
        return name in self._factories
