"""Lazy imports of optional dependencies with a message that names the extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType

from hwnas.core._errors import MissingDependencyError


def import_optional(module: str, extra: str, purpose: str = "") -> ModuleType:
    """Import `module`, or raise MissingDependencyError naming `pip install 'hwnas[extra]'`."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise MissingDependencyError(module.split(".")[0], extra, purpose) from error
