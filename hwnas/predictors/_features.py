"""Vectorised architecture features, computed from gene arrays (N x genes) in numpy.

Each space's graph-aware encoder registers under the space's name in `FEATURE_ENCODERS`
(the built-ins: `_features_nb201.py`, `_features_fbnet.py`; third parties: the
`hwnas.feature_encoders` entry-point group). A space without one gets one-hot genes only
when it declares `onehot_graph_features`; otherwise asking for its graph features fails
with the fix.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from hwnas.core import Registry
from hwnas.predictors._errors import PredictorError

if TYPE_CHECKING:
    from hwnas.spaces import SearchSpace

# Defaults for roofline terms when a predictor has no device spec (a mid-range CPU).
DEFAULT_PEAK_GFLOPS = 100.0
DEFAULT_BANDWIDTH_GBPS = 10.0
BYTES_PER_VALUE = 4


@dataclass(frozen=True)
class Roofline:
    """Peak compute and memory bandwidth used to turn FLOPs and bytes into milliseconds."""

    peak_gflops: float = DEFAULT_PEAK_GFLOPS
    bandwidth_gbps: float = DEFAULT_BANDWIDTH_GBPS

    def time_ms(self, flops: float | np.ndarray, bytes_moved: float | np.ndarray) -> np.ndarray:
        compute = np.asarray(flops, dtype=float) / (self.peak_gflops * 1e9) * 1e3
        memory = np.asarray(bytes_moved, dtype=float) / (self.bandwidth_gbps * 1e9) * 1e3
        return np.maximum(compute, memory)

    @classmethod
    def for_device(cls, device: str | None) -> Roofline:
        """The roofline of a catalog device (defaults when unknown or None)."""
        if not device:
            return cls()
        from hwnas.core import DeviceError
        from hwnas.devices import get_device

        try:
            spec = get_device(device)
        except DeviceError:
            return cls()
        return cls(
            peak_gflops=spec.peak_gflops_for("fp32") or DEFAULT_PEAK_GFLOPS,
            bandwidth_gbps=spec.memory_bandwidth_gbps or DEFAULT_BANDWIDTH_GBPS,
        )


class FeatureEncoder(ABC):
    """Turns an int gene array (N x genes) into a float feature matrix (N x features)."""

    name: str = ""
    columns: tuple[str, ...] = ()
    compact_columns: tuple[str, ...] = ()  # a few per-op-type terms for K-shot calibration
    roofline_columns: tuple[str, ...] = ()  # per-op-type roofline times (ms)

    @abstractmethod
    def encode(self, genes: np.ndarray) -> np.ndarray:
        """Features of every row of `genes`, in `columns` order."""

    @abstractmethod
    def roofline_terms(self, genes: np.ndarray) -> np.ndarray:
        """Per-op-type roofline times (ms), in `roofline_columns` order."""

    def compact(self, genes: np.ndarray) -> np.ndarray:
        """The `compact_columns` subset of the features."""
        index = [self.columns.index(c) for c in self.compact_columns]
        return self.encode(genes)[:, index]


class OneHotEncoder(FeatureEncoder):
    """One indicator per (gene position, choice): works for every space."""

    def __init__(self, gene_choices: Sequence[Sequence[str]]) -> None:
        self.name = "onehot-v1"
        self.sizes = [len(c) for c in gene_choices]
        self.offsets = np.cumsum([0, *self.sizes[:-1]])
        self.columns = tuple(
            f"g{p}_{choice}" for p, choices in enumerate(gene_choices) for choice in choices
        )
        names = sorted({c for choices in gene_choices for c in choices})
        self._choice_names = names
        self.compact_columns = ()
        self.roofline_columns = ()

    def encode(self, genes: np.ndarray) -> np.ndarray:
        out = np.zeros((genes.shape[0], len(self.columns)))
        rows = np.arange(genes.shape[0])
        for position, offset in enumerate(self.offsets):
            out[rows, offset + genes[:, position]] = 1.0
        return out

    def roofline_terms(self, genes: np.ndarray) -> np.ndarray:
        return np.zeros((genes.shape[0], 0))

    def compact(self, genes: np.ndarray) -> np.ndarray:
        return self.encode(genes)


# space name -> factory(space, input_shape, num_classes, roofline) -> FeatureEncoder
EncoderFactory = Callable[["SearchSpace", tuple[int, int, int], int, Roofline], FeatureEncoder]
FEATURE_ENCODERS: Registry[FeatureEncoder] = Registry("feature_encoders")


def feature_encoder(
    space: str | SearchSpace,
    kind: str = "graph",
    input_shape: tuple[int, int, int] | None = None,
    num_classes: int | None = None,
    device: str | None = None,
) -> FeatureEncoder:
    """The encoder for a space: `graph` (space-aware, the default) or `onehot`."""
    from hwnas.spaces import create_space

    space_obj = create_space(space)
    shape = tuple(input_shape or space_obj.default_input_shape)
    classes = num_classes or space_obj.default_num_classes
    if kind == "onehot":
        return OneHotEncoder(space_obj.gene_choices)
    if kind != "graph":
        raise PredictorError(f"unknown feature kind {kind!r}; use graph or onehot")
    if space_obj.name in FEATURE_ENCODERS:
        factory = FEATURE_ENCODERS.get(space_obj.name)
        return factory(space_obj, shape, classes, Roofline.for_device(device))
    if space_obj.onehot_graph_features:
        return OneHotEncoder(space_obj.gene_choices)
    raise PredictorError(
        f"space {space_obj.name!r} has no graph feature encoder: register one with "
        f"FEATURE_ENCODERS.register({space_obj.name!r}), declare onehot_graph_features = True "
        "on the space, or ask for kind='onehot'"
    )
