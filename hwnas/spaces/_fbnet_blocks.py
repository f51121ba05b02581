"""FBNet as latency-table blocks: stem, every (layer, block) pair that computes something
(keys like `ir_k5_e6_c16_o24_s2_i32`), and the head; and the sum of block latencies.

torch is imported only when a block is built (to be measured); numpy only by the sum.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hwnas.spaces._base import LatencyBlock, size_label
from hwnas.spaces.fbnet_grammar import (
    BLOCK_SPECS,
    STEM_CHANNELS,
    Layout,
    block_key,
    is_identity,
    layer_specs,
)

if TYPE_CHECKING:
    import numpy as np
    import torch

_FIXED_PREFIXES = ("fbnet_stem", "fbnet_head")


def _torch_part(name: str, *args: Any) -> Callable[[], torch.nn.Module]:
    """A builder that imports the torch network module only when called."""

    def build() -> torch.nn.Module:
        from hwnas.spaces import _fbnet_torch

        return getattr(_fbnet_torch, name)(*args)  # type: ignore[no-any-return]

    return build


def fbnet_blocks(
    input_shape: tuple[int, int, int], num_classes: int, layout: Layout
) -> dict[str, LatencyBlock]:
    """Stem, every (layer, block) pair that computes something, and the head."""
    layers = layer_specs(input_shape, layout)
    blocks: dict[str, LatencyBlock] = {}
    stem_key = (
        f"fbnet_stem_c{input_shape[0]}_o{STEM_CHANNELS}_s{layout.stem_stride}"
        f"_i{size_label(*input_shape[1:])}"
    )
    blocks[stem_key] = LatencyBlock(
        stem_key, input_shape, _torch_part("make_stem", input_shape[0], layout.stem_stride)
    )
    for layer in layers:
        for block in BLOCK_SPECS:
            if is_identity(block, layer):
                continue
            key = block_key(block, layer)
            if key not in blocks:
                blocks[key] = LatencyBlock(
                    key,
                    (layer.c_in, layer.height, layer.width),
                    _torch_part("make_block", block, layer),
                )
    last = layers[-1]
    key = (
        f"fbnet_head_c{last.c_out}_o{layout.head_channels}"
        f"_i{size_label(last.out_height, last.out_width)}_n{num_classes}"
    )
    blocks[key] = LatencyBlock(
        key,
        (last.c_out, last.out_height, last.out_width),
        _torch_part("Head", last.c_out, layout.head_channels, num_classes),
    )
    return blocks


def fbnet_latency_sum(
    genes: np.ndarray,
    block_ms: Callable[[str], float],
    input_shape: tuple[int, int, int],
    num_classes: int,
    layout: Layout,
) -> np.ndarray:
    """Stem + head + the chosen block of each of the 22 layers, per row of `genes`."""
    import numpy as np

    layers = layer_specs(input_shape, layout)
    costs = np.zeros((len(layers), len(BLOCK_SPECS)))
    for layer in layers:
        for index, block in enumerate(BLOCK_SPECS):
            if not is_identity(block, layer):
                costs[layer.index, index] = block_ms(block_key(block, layer))
    blocks = fbnet_blocks(input_shape, num_classes, layout)
    fixed = sum(block_ms(k) for k in blocks if k.startswith(_FIXED_PREFIXES))
    return fixed + costs[np.arange(costs.shape[0]), genes].sum(axis=1)  # type: ignore[no-any-return]
