"""Proxy scores for objective sources: the executed network, the shared cache, rank votes.

Isomorphic NB201 cells are one network, and a search evaluates one member per class, so a
proxy scores the class representative (`SearchSpace.canonical`, the member with the fewest
ops) and every member shares that score: the estimate is a function of the class, as the
duplicate check is. Scores go through the on-disk score cache shared by every run
(`hwnas.proxies.default_cache_path`, or the `proxy_cache` source option), keyed by proxy
version, data and the representative's id, so a proxy is computed once per network per
machine. `seconds` is what a value cost to compute (for a cached score: the seconds
recorded when it was computed), summed over the proxies behind it.
"""

from __future__ import annotations

import os
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hwnas.core import Architecture, ConfigError, HwnasError

# The learned ensemble's default proxies: the two that carry its ranking on NB201, at
# ~0.7 s per network together on this host against ~5 s for all eleven (grasp alone is 40%
# of that and ranks worse than either). Over 1,083 class representatives a 50-label
# ensemble on meco+naswot ranked CIFAR-10 at Spearman 0.908, adding synflow gave 0.899,
# meco alone 0.901, the architecture features alone 0.856 (docs/search.md).
DEFAULT_ENSEMBLE_PROXIES = ("naswot", "meco")
VOTE_REFERENCE = 200  # class representatives a rank vote ranks each proxy against

_CACHES: dict[str, Any] = {}


def executed_network(space: Any, arch: Architecture) -> Architecture:
    """The network a proxy scores for `arch`: its class representative where the space
    has one (isomorphic cells are one network), else `arch` itself."""
    canonical = getattr(space, "canonical", None)
    return canonical(arch) if canonical is not None else space.parse(arch)


def score_cache(options: Mapping[str, Any]) -> Any | None:
    """The run's score cache: the `proxy_cache` option (a file, or `none`), else the
    machine-wide default; one open handle per file and process (SQLite connections must
    not cross a fork)."""
    from hwnas.proxies import ScoreCache, default_cache_path

    option = options.get("proxy_cache")
    if isinstance(option, str) and option.lower() in ("none", "off", ""):
        return None
    path = Path(option).expanduser() if option else default_cache_path()
    if path is None:
        return None
    key = f"{os.getpid()}:{path.resolve()}"  # a forked worker opens its own connection
    if key not in _CACHES:
        _CACHES[key] = ScoreCache(path)
    return _CACHES[key]


@dataclass(frozen=True)
class ScoredRow:
    """One architecture's proxy values (None with an error when it could not be scored)."""

    values: dict[str, float] | None
    seconds: float = 0.0
    error: str | None = None


class ProxyScorer:
    """Scores architectures' executed networks with some proxies, through the cache."""

    def __init__(self, space: str, proxies: Sequence[str], options: Mapping[str, Any]) -> None:
        import hwnas.proxies as proxy_package
        from hwnas.spaces import create_space

        known = proxy_package.list_proxies()
        unknown = [p for p in proxies if p not in known]
        if unknown or not proxies:
            raise ConfigError(f"unknown proxy {', '.join(unknown) or '(none)'}; known: "
                              f"{', '.join(known)}")
        self.space = create_space(space)
        self.proxies = list(proxies)
        self.instances = proxy_package.resolve_proxies(self.proxies)
        self.data = proxy_package.resolve_data(options.get("proxy_data"))
        self.seed = int(options.get("proxy_seed", 0))
        self.cache = score_cache(options)

    def describe(self) -> dict[str, Any]:
        return {"proxies": [{"name": p.name, "version": p.version, "data": p.data_label(self.data)}
                            for p in self.instances],
                "seed": self.seed, "network": "isomorphism-class representative",
                "cache": None if self.cache is None else str(self.cache.path)}

    def executed(self, arch: Architecture) -> Architecture:
        return executed_network(self.space, arch)

    def rows(self, archs: Sequence[Architecture]) -> list[ScoredRow]:
        """One ScoredRow per architecture, in order (errors per architecture, not raised)."""
        from hwnas.proxies import score_architectures

        out = []
        for arch in archs:
            try:
                network = self.executed(arch)
                row = score_architectures([network], self.instances, data=self.data,
                                          seed=self.seed, space=self.space, cache=self.cache)[0]
            except HwnasError as error:
                out.append(ScoredRow(None, error=str(error)))
                continue
            out.append(ScoredRow({name: float(result.value) for name, result in row.items()},
                                 sum(result.seconds for result in row.values())))
        return out


class RankVote:
    """The mean over proxies of each score's position among a fixed reference set of class
    representatives (0 = below all of them, 1 = above all): proxies on different scales
    vote with equal weight, and a value never depends on what else a run evaluated."""

    def __init__(self, scorer: ProxyScorer, reference: int = VOTE_REFERENCE, seed: int = 0) -> None:
        space = scorer.space
        pool = list(space.unique()) if hasattr(space, "unique") else space.sample(
            reference * 5, seed=seed)
        chosen = random.Random(seed).sample(pool, min(reference, len(pool)))
        rows = [r for r in scorer.rows(chosen) if r.values is not None]
        if len(rows) < 2:
            raise ConfigError("a proxy vote needs at least two scorable reference networks")
        self.reference = len(rows)
        self.sorted = {name: np.sort(_finite([r.values[name] for r in rows if r.values]))
                       for name in scorer.proxies}

    def value(self, values: Mapping[str, float]) -> float:
        positions = []
        for name, reference in self.sorted.items():
            ranks = (np.arange(len(reference)) + 0.5) / len(reference)
            point = _finite([values[name]])[0]
            positions.append(float(np.interp(point, reference, ranks, left=0.0, right=1.0)))
        return float(np.mean(positions))


def _finite(values: Sequence[float]) -> np.ndarray:
    """Scores with -inf (naswot of a network whose codes coincide) ranked below everything."""
    return np.nan_to_num(np.asarray(values, dtype=float), nan=-1e300, neginf=-1e300,
                         posinf=1e300)
