"""The partition engine: K latency bands over a search space.

Every architecture gets a band from one cheap number (the band feature), known before
evaluation so a proposal that leaves its band can be rejected unevaluated:

- `latency` (default): predicted latency. A predictor from `hwnas.predictors` when the
  run names one, else a cost model from the exact MACs and parameters of the network
  and the device's catalog peak compute and memory bandwidth.
- `conv3x3`: the number of live 3x3 convolutions in the cell (as in PEL-NAS).
- `mflops`, `params`: exact size figures.

Band edges are quantiles of the feature over the space (its isomorphism-class
representatives when enumerable, else a fixed sample) or bounds the user gives.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hwnas.core import Architecture, ConfigError

BAND_FEATURES = ("latency", "conv3x3", "mflops", "params")
_FALLBACK_PEAK_GFLOPS = 100.0
_FALLBACK_BANDWIDTH_GBPS = 20.0
_OP_OVERHEAD_MS = 0.01  # per live op per cell: dispatch cost of a small kernel
_SAMPLE_SIZE = 4000


@dataclass(frozen=True)
class Partition:
    """K bands over a scalar band feature: band i holds edges[i-1] <= value < edges[i]."""

    feature: str
    method: str  # quantile | bounds | single
    edges: tuple[float, ...]
    description: str = ""

    @property
    def bands(self) -> int:
        return len(self.edges) + 1

    def band_of_value(self, value: float) -> int:
        return bisect.bisect_right(self.edges, value)

    def to_dict(self) -> dict[str, Any]:
        return {"feature": self.feature, "method": self.method, "edges": list(self.edges),
                "bands": self.bands, "description": self.description}


class BandFeature:
    """The cheap number that places an architecture in a band (cached per string)."""

    def __init__(self, space: Any, feature: str, device: str | None = None,
                 predictor: Any | None = None) -> None:
        if feature not in BAND_FEATURES:
            raise ConfigError(
                f"unknown band feature {feature!r}; use one of {', '.join(BAND_FEATURES)}"
            )
        self.space = space
        self.feature = feature
        self.predictor = predictor
        self._cache: dict[str, float] = {}
        self.description = ""
        self._function = self._build(device)

    def _build(self, device: str | None) -> Callable[[Architecture], float]:
        space = self.space
        if self.feature == "conv3x3":
            self.description = "number of live 3x3 convolutions in the cell"
            return lambda arch: float(space.features(arch).get("live_nor_conv_3x3", 0.0))
        if self.feature in ("mflops", "params"):
            key = "mflops" if self.feature == "mflops" else "params_m"
            self.description = f"exact {key} of the network"
            return lambda arch: float(space.features(arch)[key])
        if self.predictor is not None:
            self.description = f"latency predicted by {getattr(self.predictor, 'name', 'predictor')}"
            return lambda arch: float(self.predictor.predict([arch])[0])
        if not hasattr(space, "cost"):
            raise ConfigError(
                f"space {space.name!r} has no cost model; band by a predictor "
                "(--band-predictor) or another feature (--band-by mflops)"
            )
        peak, bandwidth, device_name = _device_figures(device)
        self.description = (
            f"cost-model latency on {device_name}: MACs/peak + weights/bandwidth + "
            f"{_OP_OVERHEAD_MS} ms per live op (an estimate for ordering, not a measurement)"
        )

        def latency(arch: Architecture) -> float:
            cost = space.cost(arch, prune=True)
            live_ops = sum(space.live_edges(arch)) if hasattr(space, "live_edges") else 0
            return (2.0 * cost.macs / (peak * 1e6) + 4.0 * cost.params / (bandwidth * 1e6)
                    + _OP_OVERHEAD_MS * live_ops)

        return latency

    def __call__(self, arch: Architecture) -> float:
        value = self._cache.get(arch.string)
        if value is None:
            value = self._cache[arch.string] = self._function(arch)
        return value

    def many(self, archs: Sequence[Architecture]) -> np.ndarray:
        if self.predictor is not None and self.feature == "latency":
            missing = [a for a in archs if a.string not in self._cache]
            if missing:  # one vectorised call instead of thousands
                for arch, value in zip(missing, self.predictor.predict(missing), strict=True):
                    self._cache[arch.string] = float(value)
        return np.array([self(a) for a in archs], dtype=float)


def _device_figures(device: str | None) -> tuple[float, float, str]:
    if device:
        from hwnas.devices import get_device

        spec = get_device(device)
        peak = spec.peak_gflops_for("fp32")
        if peak and spec.memory_bandwidth_gbps:
            return float(peak), float(spec.memory_bandwidth_gbps), spec.name
    return _FALLBACK_PEAK_GFLOPS, _FALLBACK_BANDWIDTH_GBPS, "a generic CPU"


def reference_architectures(space: Any, seed: int = 0) -> list[Architecture]:
    """The architectures band quantiles are taken over: class representatives or a sample."""
    if hasattr(space, "unique"):
        return list(space.unique())
    return space.sample(_SAMPLE_SIZE, seed=seed)


def build_partition(
    feature: BandFeature, bands: int, bounds: Sequence[float] | None = None,
    reference: Sequence[Architecture] | None = None,
) -> Partition:
    """K bands: user `bounds` (K-1 increasing edges) or quantiles over `reference`."""
    if bounds:
        edges = tuple(float(b) for b in bounds)
        if not all(math.isfinite(edge) for edge in edges):
            raise ConfigError(
                f"band bounds must be finite numbers, got {list(edges)}; e.g. --band-bounds 2,4,8"
            )
        if list(edges) != sorted(set(edges)):
            raise ConfigError(f"band bounds must increase strictly, got {list(edges)}")
        return Partition(feature.feature, "bounds", edges, feature.description)
    if bands < 1:
        raise ConfigError(f"--bands must be at least 1, got {bands}")
    if bands == 1:
        return Partition(feature.feature, "single", (), feature.description)
    values = feature.many(list(reference or reference_architectures(feature.space)))
    edges = _balanced_edges(values, bands)
    if len(edges) < bands - 1:
        raise ConfigError(
            f"band feature {feature.feature!r} takes too few distinct values for {bands} bands "
            f"(got {len(edges) + 1}); use fewer bands or --band-by latency"
        )
    return Partition(feature.feature, "quantile", edges, feature.description)


def _balanced_edges(values: np.ndarray, bands: int) -> tuple[float, ...]:
    """Quantile edges that never split tied values: each cut falls midway between two
    neighbouring distinct values, where the cumulative share is closest to i/K."""
    distinct, counts = np.unique(values, return_counts=True)
    cumulative = np.cumsum(counts) / counts.sum()
    cuts = set()
    for i in range(1, bands):
        position = int(np.argmin(np.abs(cumulative[:-1] - i / bands))) if len(distinct) > 1 else 0
        if len(distinct) > 1:
            cuts.add(float((distinct[position] + distinct[position + 1]) / 2))
    return tuple(sorted(cuts))
