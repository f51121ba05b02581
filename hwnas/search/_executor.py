"""Executors: where source evaluations run, in this process or on a Ray cluster."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from hwnas.core import ConfigError, Registry
from hwnas.search._sources import ObjectiveSource, SourceContext, SourceValue, create_source


class Executor(ABC):
    """Evaluates one source over many architectures; results come back in order."""

    name: str = ""

    @abstractmethod
    def values(self, source: ObjectiveSource, archs: Sequence[Any]) -> list[SourceValue]:
        """The source's value for each architecture, in the order given."""

    @abstractmethod
    def describe(self) -> dict[str, Any]:
        """What runs the work, for the run record."""

    def close(self) -> None:
        return None


EXECUTORS: Registry[Executor] = Registry("executors", base=Executor)


def list_executors(pattern: str = "*") -> list[str]:
    return EXECUTORS.list(pattern)


def create_executor(name: str | Executor, **options: Any) -> Executor:
    """An executor by name (`local`, `ray`); an instance passes through."""
    return EXECUTORS.resolve(name, **options)


@EXECUTORS.register("local")
class LocalExecutor(Executor):
    """Runs every evaluation in this process, one after another (the default)."""

    name = "local"

    def values(self, source: ObjectiveSource, archs: Sequence[Any]) -> list[SourceValue]:
        return source.values(list(archs))

    def describe(self) -> dict[str, Any]:
        return {"executor": "local"}


_WORKER_SOURCES: dict[tuple[str, str, str], ObjectiveSource] = {}


def evaluate_in_worker(kind: str, target: str, context: SourceContext,
                       arch: Any) -> SourceValue:
    """Build (once per worker process) the source named by its spec and evaluate one arch."""
    key = (kind, target, repr(context))
    source = _WORKER_SOURCES.get(key)
    if source is None:
        source = _WORKER_SOURCES[key] = create_source(kind, target, context)
    return source.values([arch])[0]


def _check_reachable(address: str) -> None:
    """Fail fast with one line: `ray.init` retries an unreachable address for minutes."""
    import socket

    client = address.startswith("ray://")
    host, _, port = address.removeprefix("ray://").rpartition(":")
    host = host.strip("[]")  # [::1]:6379
    if not host or not port.isdigit():
        raise ConfigError(f"Ray address {address!r} is not HOST:PORT, ray://HOST:PORT or auto; "
                          "check --ray-address")
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as error:
        raise ConfigError(
            f"cannot reach a Ray cluster at {address} ({error.strerror or error}); start one "
            f"with `ray start --head --{'ray-client-server-port' if client else 'port'}={port}` "
            "there or check --ray-address") from None


@EXECUTORS.register("ray")
class RayExecutor(Executor):
    """One Ray task per architecture on a local or remote Ray cluster (extra `ray`).

    `address=None` starts a local Ray instance (about 17 s and 700 MB on a small host);
    `address="ray://host:10001"` or `"auto"` joins a running cluster. Only the source's
    spec travels to the workers, which rebuild the source once each.
    """

    name = "ray"

    def __init__(self, address: str | None = None, num_cpus: int | None = None) -> None:
        from hwnas.core import import_optional

        self._ray = import_optional("ray", "ray", "the Ray executor")
        self.address = address
        if address and address != "auto":
            _check_reachable(address)
        if not self._ray.is_initialized():
            os.environ.setdefault("RAY_AUTH_MODE", "disabled")
            options: dict[str, Any] = {"ignore_reinit_error": True, "log_to_driver": False}
            if address:
                options["address"] = address
            elif num_cpus:
                options["num_cpus"] = num_cpus
            try:
                self._ray.init(**options)
            except Exception as error:  # connection refused, bad address...
                raise ConfigError(
                    f"cannot start or join Ray at {address or 'a new local instance'}: "
                    f"{type(error).__name__}: {error}; check --ray-address"
                ) from None
        self._remote = self._ray.remote(evaluate_in_worker)

    def values(self, source: ObjectiveSource, archs: Sequence[Any]) -> list[SourceValue]:
        futures = [self._remote.remote(source.kind, source.target, source.context, arch)
                   for arch in archs]
        return list(self._ray.get(futures))

    def describe(self) -> dict[str, Any]:
        resources = self._ray.cluster_resources()
        return {"executor": "ray", "address": self.address or "local",
                "cpus": resources.get("CPU"), "ray_version": self._ray.__version__}

    def close(self) -> None:
        if self.address is None and self._ray.is_initialized():
            self._ray.shutdown()
