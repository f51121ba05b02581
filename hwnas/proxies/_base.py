"""The proxy base class, its result record and the scored subject (module or architecture)."""

from __future__ import annotations

import copy
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hwnas.core import Architecture, ConfigError, HwnasError

if TYPE_CHECKING:
    import torch

    from hwnas.proxies._data import DataSource
    from hwnas.spaces import SearchSpace


class ProxyError(HwnasError):
    """A proxy could not be computed (bad input, a network that cannot run)."""


@dataclass(frozen=True)
class ProxyResult:
    """One proxy value for one network; higher means predicted more accurate."""

    proxy: str
    value: float
    seconds: float  # wall time of this proxy on this network, shared passes included once
    data: str  # the images (or noise) the proxy saw
    seed: int
    arch_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "proxy": self.proxy, "value": self.value, "seconds": self.seconds,
            "data": self.data, "seed": self.seed, "arch_id": self.arch_id,
        }


class Subject:
    """A network to score: a torch module, or an architecture of a space built on demand.

    The module is built once (under the seed, so its initial weights are reproducible) and
    every proxy gets its own copy, so a proxy that rewrites weights (synflow, zen) never
    changes what the next proxy sees. Passes that several proxies share (one loss gradient
    for snip, grad_norm and fisher) are memoised here.
    """

    def __init__(
        self,
        target: Any,
        space: SearchSpace | None = None,
        num_classes: int | None = None,
        input_shape: tuple[int, int, int] | None = None,
        seed: int = 0,
    ) -> None:
        import torch

        self.seed = int(seed)
        self.space = space
        self.architecture: Architecture | None = None
        self._module: torch.nn.Module | None = None
        self._memo: dict[str, Any] = {}
        if isinstance(target, torch.nn.Module):
            self._module = target
        elif isinstance(target, (Architecture, str)):
            if space is None:
                raise ConfigError(
                    "scoring an architecture needs its search space: pass space='nb201' "
                    "(or a SearchSpace), or pass a torch module instead"
                )
            self.architecture = space.parse(target)
        else:
            raise ProxyError(
                f"a proxy scores a torch.nn.Module or an architecture string, got "
                f"{type(target).__name__}"
            )
        self.num_classes = num_classes
        self.input_shape = input_shape

    @property
    def arch_id(self) -> str | None:
        return self.architecture.arch_id if self.architecture is not None else None

    def module(self) -> torch.nn.Module:
        """A fresh copy of the network with its seeded initial weights, in train mode."""
        import torch

        if self._module is None:
            assert self.space is not None and self.architecture is not None
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(self.seed)
                self._module = self.space.to_torch(
                    self.architecture, input_shape=self.input_shape, num_classes=self.num_classes
                )
        copied = copy.deepcopy(self._module)
        copied.train()
        return copied

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]


class Proxy(ABC):
    """A zero-cost proxy: a number from an untrained network that ranks trained accuracy.

    A proxy writes `_score(subject, data)`. `score()` validates its input, seeds torch,
    times the call and wraps the value; proxies whose `uses_images` is False get Gaussian
    noise (or no data at all) instead of real images.
    """

    name: str = ""
    uses_images: bool = True  # False: data-free (noise, ones, or nothing)
    description: str = ""

    def __init__(self, batch_size: int | None = None) -> None:
        if batch_size is not None and int(batch_size) < 2:
            raise ConfigError(f"{self.name}: batch_size must be at least 2, got {batch_size}")
        self.batch_size = int(batch_size) if batch_size is not None else self.default_batch_size

    default_batch_size: int = 16

    @abstractmethod
    def _score(self, subject: Subject, data: DataSource) -> float:
        """The proxy value of `subject` on batches from `data` (torch is already seeded)."""

    def score(
        self,
        target: Any,
        data: DataSource | str | None = None,
        seed: int = 0,
        space: SearchSpace | str | None = None,
    ) -> ProxyResult:
        """Score an architecture (with its space) or a torch module; deterministic per seed."""
        from hwnas.proxies._data import resolve_data

        source = resolve_data(data)
        resolved_space = None
        if space is not None:
            from hwnas.spaces import create_space

            resolved_space = create_space(space)
        subject = Subject(
            target, resolved_space, num_classes=source.num_classes,
            input_shape=source.input_shape, seed=seed,
        )
        return self.score_subject(subject, source)

    def score_subject(self, subject: Subject, data: DataSource) -> ProxyResult:
        """Score an already prepared subject (shares its built network and memoised passes)."""
        import torch

        started = time.perf_counter()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(subject.seed)
            value = float(self._score(subject, data))
        seconds = time.perf_counter() - started
        if value != value:  # NaN: say so rather than rank it arbitrarily
            raise ProxyError(
                f"proxy {self.name} gave NaN for {subject.arch_id or 'the module'}; "
                "try another seed or a larger batch_size"
            )
        return ProxyResult(
            proxy=self.name, value=value, seconds=seconds,
            data=self.data_label(data), seed=subject.seed, arch_id=subject.arch_id,
        )

    def data_label(self, data: DataSource) -> str:
        """What this proxy saw, as recorded in results and caches."""
        shape = "x".join(str(d) for d in data.input_shape)
        if self.uses_images:
            return f"{data.name}[batch={self.batch_size},classes={data.num_classes}]"
        return f"{self.noise_label}[{shape},classes={data.num_classes}]"

    noise_label: str = "gaussian-noise"

    version: int = 1  # bump when a change alters values, so cached ones are not reused

    def cache_key(self, data: DataSource) -> str:
        """Proxy name and version plus everything else that changes its value except
        the network and the seed."""
        return f"{self.name}@{self.version}|{self.data_label(data)}"
