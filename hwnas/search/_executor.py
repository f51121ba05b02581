"""Executors: where source evaluations run, in this process or on a Ray cluster."""

from __future__ import annotations

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


DEFAULT_RAY_TIMEOUT_S = 900.0  # a batch that yields nothing for this long is hung

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

    Ray's authentication is Ray's: `RAY_AUTH_MODE` (and `RAY_AUTH_TOKEN`/`_PATH`) are read
    from the environment as the user set them, never changed here (docs/search.md).
    `timeout_s` (None: DEFAULT_RAY_TIMEOUT_S) bounds how long a batch may go without any
    result: when it passes, the evaluations still outstanding (a hung worker, a cluster
    with no free CPU) fail with one line each and their tasks are cancelled.
    """

    name = "ray"

    def __init__(self, address: str | None = None, num_cpus: int | None = None,
                 timeout_s: float | None = None) -> None:
        from hwnas.core import import_optional

        self.timeout_s = DEFAULT_RAY_TIMEOUT_S if timeout_s is None else float(timeout_s)
        if not self.timeout_s > 0:
            raise ConfigError(f"the Ray timeout must be a positive number of seconds, got "
                              f"{timeout_s}; check --ray-timeout")
        self._ray = import_optional("ray", "ray", "the Ray executor")
        self.address = address
        if address and address != "auto":
            _check_reachable(address)
        if not self._ray.is_initialized():
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
        """Results in order; a task that fails or gives nothing for `timeout_s` (while no
        other task of the batch finishes either) fails its own evaluation only."""
        ray = self._ray
        futures = [self._remote.remote(source.kind, source.target, source.context, arch)
                   for arch in archs]
        pending: list[Any] = list(futures)
        while pending:
            ready, pending = ray.wait(pending, num_returns=1, timeout=self.timeout_s)
            if not ready:  # nothing came back for timeout_s: the rest is hung
                break
        hung = set(pending)
        out: list[SourceValue] = []
        for future in futures:
            if future in hung:
                ray.cancel(future, force=True)
                out.append(SourceValue(None, (
                    f"the Ray worker gave no result within {self.timeout_s:g} s (hung worker or "
                    "no free CPU on the cluster); raise --ray-timeout or check the cluster")))
                continue
            try:
                out.append(ray.get(future))
            except ray.exceptions.RayTaskError:
                raise  # the source itself raised: a bug, as with the local executor
            except ray.exceptions.RayError as error:  # its worker or node died
                message = " ".join(str(error).split())[:300]
                out.append(SourceValue(
                    None, f"the Ray worker was lost: {type(error).__name__}: {message}"))
        return out

    def describe(self) -> dict[str, Any]:
        resources = self._ray.cluster_resources()
        return {"executor": "ray", "address": self.address or "local",
                "cpus": resources.get("CPU"), "ray_version": self._ray.__version__,
                "timeout_s": self.timeout_s}

    def close(self) -> None:
        if self.address is None and self._ray.is_initialized():
            self._ray.shutdown()
