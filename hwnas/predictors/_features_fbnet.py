"""Vectorised FBNet features: one-hot blocks, block counts, MACs/params, roofline terms."""

from __future__ import annotations

from typing import Any

import numpy as np

from hwnas.predictors._features import BYTES_PER_VALUE, FeatureEncoder, Roofline
from hwnas.spaces.fbnet_grammar import BLOCK_SPECS, BLOCKS, block_macs, layer_specs


class FBNetEncoder(FeatureEncoder):
    """Per-layer one-hots, per-block-type counts and per-block-type roofline times."""

    def __init__(
        self,
        space: Any,
        input_shape: tuple[int, int, int],
        num_classes: int,
        roofline: Roofline | None = None,
    ) -> None:
        self.name = "fbnet-v1"
        roofline = roofline or Roofline()
        layers = layer_specs(input_shape, space.layout)
        self.macs = np.zeros((len(layers), len(BLOCKS)))
        self.params = np.zeros_like(self.macs)
        self.time_ms = np.zeros_like(self.macs)
        for layer in layers:
            for index, block in enumerate(BLOCK_SPECS):
                macs, params = block_macs(block, layer)
                activations = layer.c_in * layer.height * layer.width
                activations += layer.c_out * layer.out_height * layer.out_width
                if block.expansion:
                    activations += 2 * layer.c_in * block.expansion * layer.height * layer.width
                self.macs[layer.index, index] = macs
                self.params[layer.index, index] = params
                moved = BYTES_PER_VALUE * (params + activations) if macs else 0.0
                self.time_ms[layer.index, index] = float(roofline.time_ms(2 * macs, moved))
        self.onehot_columns = tuple(f"l{p}_{b}" for p in range(len(layers)) for b in BLOCKS)
        self.roofline_columns = tuple(f"roofline_{b}_ms" for b in BLOCKS)
        self.columns = (
            *self.onehot_columns,
            *(f"count_{b}" for b in BLOCKS),
            "macs_m",
            "params_m",
            *self.roofline_columns,
        )
        self.compact_columns = tuple(f"count_{b}" for b in BLOCKS)
        self._blocks = len(BLOCKS)

    def _terms(self, genes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        genes = np.asarray(genes, dtype=np.int64)
        positions = np.arange(genes.shape[1])
        counts = np.stack([(genes == b).sum(axis=1) for b in range(self._blocks)], axis=1)
        times = self.time_ms[positions, genes]
        roofline = np.stack(
            [np.where(genes == b, times, 0.0).sum(axis=1) for b in range(self._blocks)], axis=1
        )
        macs = self.macs[positions, genes].sum(axis=1)
        params = self.params[positions, genes].sum(axis=1)
        return counts.astype(float), roofline, macs, params

    def encode(self, genes: np.ndarray) -> np.ndarray:
        genes = np.asarray(genes, dtype=np.int64)
        n, width = genes.shape
        onehot = np.zeros((n, width * self._blocks))
        onehot[np.arange(n)[:, None], np.arange(width) * self._blocks + genes] = 1.0
        counts, roofline, macs, params = self._terms(genes)
        return np.hstack([onehot, counts, macs[:, None] / 1e6, params[:, None] / 1e6, roofline])

    def roofline_terms(self, genes: np.ndarray) -> np.ndarray:
        return self._terms(genes)[1]


def fbnet_encoder(
    space: Any, input_shape: tuple[int, int, int], num_classes: int, roofline: Roofline
) -> FBNetEncoder:
    """The graph encoder of the `fbnet` space (registered in `_builtin`)."""
    return FBNetEncoder(space, input_shape, num_classes, roofline)
