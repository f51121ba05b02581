"""FBNet-style space: 22 searchable layers, 9 candidate blocks each (HW-NAS-Bench layout);
the grammar, layouts and block geometry are in `fbnet_grammar`."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from hwnas.core import InvalidArchitectureError
from hwnas.spaces._base import LatencyBlock, NetworkCost, SearchSpace
from hwnas.spaces.fbnet_grammar import (
    BLOCK_SPECS,
    BLOCKS,
    LAYOUTS,
    NUM_LAYERS,
    STAGE_CHANNELS,
    STEM_CHANNELS,
    LayerSpec,
    block_key,
    block_macs,
    decode_fbnet,
    encode_fbnet,
    is_identity,
    layer_specs,
)

if TYPE_CHECKING:
    import numpy as np
    import torch


class FBNetSpace(SearchSpace):
    """FBNet / HW-NAS-Bench block space: 9^22 architectures, all distinct networks."""

    name = "fbnet"
    gene_choices = tuple(BLOCKS for _ in range(NUM_LAYERS))
    blocks = BLOCKS

    def __init__(self, layout: str = "cifar") -> None:
        if layout not in LAYOUTS:
            raise InvalidArchitectureError(
                f"unknown fbnet layout {layout!r}; layouts: {', '.join(LAYOUTS)}"
            )
        self.layout = LAYOUTS[layout]
        self.default_input_shape = self.layout.input_shape
        self.default_num_classes = self.layout.num_classes

    def _decode(self, string: str) -> tuple[int, ...]:
        return decode_fbnet(string)

    def _encode(self, genes: Sequence[int]) -> str:
        return encode_fbnet(genes)

    def _build_torch(
        self,
        genes: tuple[int, ...],
        input_shape: tuple[int, int, int],
        num_classes: int,
        **options: Any,
    ) -> torch.nn.Module:
        from hwnas.spaces._fbnet_torch import FBNetNetwork

        return FBNetNetwork(genes, input_shape, num_classes, self.layout, **options)

    def layers(self, input_shape: tuple[int, int, int] | None = None) -> tuple[LayerSpec, ...]:
        """Geometry of the 22 searchable layers."""
        return layer_specs(tuple(input_shape or self.default_input_shape), self.layout)  # type: ignore[arg-type]

    def block_keys(self, arch: Any, input_shape: tuple[int, int, int] | None = None) -> list[str]:
        """Latency-table keys of the blocks `arch` runs (identity skips left out)."""
        genes = self.genes(arch)
        out = []
        for gene, layer in zip(genes, self.layers(input_shape), strict=True):
            spec = BLOCK_SPECS[gene]
            if not is_identity(spec, layer):
                out.append(block_key(spec, layer))
        return out

    def factors(self) -> dict[str, str]:
        return {
            "block": "the block type of a layer that runs: kernel size (k3, k5) and "
                     "group count (g1, g2); the layer keeps running at the same expansion",
            "depth_width": "each stage's depth and width: which layers run and which are "
                           "skip, and the expansion ratio (e1, e3, e6) of a layer that runs",
        }

    def gene_change_factors(self, position: int, old: int, new: int) -> frozenset[str]:
        """skip <-> a block is depth; kernel or groups of a running layer are its block
        type; its expansion ratio is width."""
        before, after = BLOCK_SPECS[old], BLOCK_SPECS[new]
        if before.is_skip or after.is_skip:
            return frozenset({"depth_width"})
        out = set()
        if (before.kernel, before.groups) != (after.kernel, after.groups):
            out.add("block")
        if before.expansion != after.expansion:
            out.add("depth_width")
        return frozenset(out)

    def gene_names(self) -> tuple[str, ...]:
        return tuple(f"layer {i}" for i in range(NUM_LAYERS))

    def positions_named(self, text: str) -> frozenset[int]:
        """Layers written `layer 5` or `gene 5` (0-based, as `describe()` numbers them)."""
        found = {int(n) for n in re.findall(r"\b(?:layer|gene)\s*([0-9]+)", text, re.I)}
        return frozenset(n for n in found if n < NUM_LAYERS)

    def cost(
        self,
        arch: Any,
        input_shape: tuple[int, int, int] | None = None,
        num_classes: int | None = None,
        prune: bool = False,
    ) -> NetworkCost:
        """Exact parameters and MACs of the network `to_torch` builds (identity skips
        already compute nothing, so `prune` changes nothing here)."""
        shape = tuple(input_shape or self.default_input_shape)
        classes = num_classes or self.default_num_classes
        layers = self.layers(shape)  # type: ignore[arg-type]
        stem_h = layers[0].height * layers[0].width
        macs = stem_h * shape[0] * STEM_CHANNELS * 9
        params = shape[0] * STEM_CHANNELS * 9 + 2 * STEM_CHANNELS
        for gene, layer in zip(self.genes(arch), layers, strict=True):
            block_m, block_p = block_macs(BLOCK_SPECS[gene], layer)
            macs += block_m
            params += block_p
        last = layers[-1]
        head = self.layout.head_channels
        macs += last.out_height * last.out_width * STAGE_CHANNELS[-1] * head + head * classes
        params += STAGE_CHANNELS[-1] * head + 2 * head + head * classes + classes
        return NetworkCost(params=params, macs=macs)

    def features(self, arch: Any) -> dict[str, float]:
        out = super().features(arch)
        cost = self.cost(arch)
        out["params_m"] = cost.params_m
        out["mflops"] = cost.mflops
        return out

    def latency_blocks(
        self, input_shape: tuple[int, int, int], num_classes: int
    ) -> dict[str, LatencyBlock]:
        from hwnas.spaces._fbnet_blocks import fbnet_blocks

        return fbnet_blocks(input_shape, num_classes, self.layout)

    def latency_sum(
        self,
        genes: np.ndarray,
        block_ms: Callable[[str], float],
        input_shape: tuple[int, int, int],
        num_classes: int,
        prune: bool = False,
    ) -> np.ndarray:
        from hwnas.spaces._fbnet_blocks import fbnet_latency_sum

        return fbnet_latency_sum(genes, block_ms, input_shape, num_classes, self.layout)
