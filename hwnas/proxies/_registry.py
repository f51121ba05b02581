"""The registry of zero-cost proxies (the built-ins register in `_builtin`, which the
package imports; third parties through the `hwnas.proxies` entry-point group)."""

from __future__ import annotations

from typing import Any

from hwnas.core import Registry
from hwnas.proxies._base import Proxy

PROXIES: Registry[Proxy] = Registry("proxies", base=Proxy)


def list_proxies(pattern: str = "*") -> list[str]:
    """Names of registered proxies matching a glob."""
    return PROXIES.list(pattern)


def create_proxy(name: str | Proxy, **options: Any) -> Proxy:
    """A proxy by name, built with `options` (e.g. batch_size); an instance passes through."""
    return PROXIES.resolve(name, **options)
