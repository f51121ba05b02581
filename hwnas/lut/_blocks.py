"""The blocks each space's networks are made of, keyed by strings like
`ir_k5_e6_c16_o24_s2_i32`, with a torch builder for measuring each block alone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from hwnas.core import ConfigError

if TYPE_CHECKING:
    import torch

OVERHEAD_KEY = "overhead"  # one run of a graph that does nothing: subtracted per block


@dataclass(frozen=True)
class Block:
    """One measurable block: its key, its input shape (C, H, W) and a torch builder."""

    key: str
    input_shape: tuple[int, int, int]
    build: Callable[[], torch.nn.Module]


def _size(height: int, width: int) -> str:
    return f"{height}" if height == width else f"{height}x{width}"


# --- NAS-Bench-201 ------------------------------------------------------------------------
NB201_MEASURED_OPS = ("nor_conv_3x3", "nor_conv_1x1", "avg_pool_3x3", "none")


def _nb201_geometry(input_shape: tuple[int, int, int]) -> list[tuple[int, int, int]]:
    from hwnas.spaces._nb201 import STAGE_CHANNELS, stage_resolutions

    return [
        (c, h, w) for (h, w), c in zip(stage_resolutions(input_shape), STAGE_CHANNELS, strict=True)
    ]


def nb201_blocks(input_shape: tuple[int, int, int], num_classes: int) -> dict[str, Block]:
    """Stem, each op at each stage (`nb201_nor_conv_3x3_c16_i32`), the sum's add, the two
    reductions and the head; skip_connect costs nothing and has no block."""
    from torch import nn

    from hwnas.spaces._nb201_torch import ReLUConvBN, ResidualReduction, Zero, make_op

    geometry = _nb201_geometry(input_shape)
    blocks: dict[str, Block] = {}
    c0, h0, w0 = geometry[0]
    stem_key = f"nb201_stem_c{input_shape[0]}_o{c0}_i{_size(h0, w0)}"
    blocks[stem_key] = Block(
        stem_key,
        input_shape,
        lambda: nn.Sequential(
            nn.Conv2d(input_shape[0], c0, 3, padding=1, bias=False), nn.BatchNorm2d(c0)
        ),
    )
    for stage, (channels, height, width) in enumerate(geometry):
        shape = (channels, height, width)
        for op in NB201_MEASURED_OPS:
            key = f"nb201_{op}_c{channels}_i{_size(height, width)}"
            blocks[key] = Block(key, shape, lambda op=op, c=channels: make_op(op, c))
        key = f"nb201_add_c{channels}_i{_size(height, width)}"
        blocks[key] = Block(key, shape, lambda: _AddTwo())
        if stage > 0:
            c_in, h_in, w_in = geometry[stage - 1]
            key = f"nb201_reduction_c{c_in}_o{channels}_i{_size(h_in, w_in)}"
            blocks[key] = Block(
                key, (c_in, h_in, w_in), lambda a=c_in, b=channels: ResidualReduction(a, b)
            )
    c_last, h_last, w_last = geometry[-1]
    key = f"nb201_head_c{c_last}_i{_size(h_last, w_last)}_n{num_classes}"
    blocks[key] = Block(key, (c_last, h_last, w_last), lambda: _Nb201Head(c_last, num_classes))
    del ReLUConvBN, Zero  # imported to make sure the ops match the network's
    return blocks


def nb201_position_costs(
    entries: dict[str, float], input_shape: tuple[int, int, int], num_classes: int
) -> tuple[np.ndarray, np.ndarray, float]:
    """(op cost per edge summed over the 15 cells [5 ops], add cost per cell sum, fixed)."""
    from hwnas.spaces._nb201 import CELLS_PER_STAGE, OPS

    blocks = nb201_blocks(input_shape, num_classes)
    geometry = _nb201_geometry(input_shape)
    op_cost = np.zeros(len(OPS))
    add_cost = 0.0
    for channels, height, width in geometry:
        size = _size(height, width)
        for index, op in enumerate(OPS):
            if op != "skip_connect":
                op_cost[index] += CELLS_PER_STAGE * _entry(
                    entries, f"nb201_{op}_c{channels}_i{size}"
                )
        add_cost += CELLS_PER_STAGE * _entry(entries, f"nb201_add_c{channels}_i{size}")
    fixed = sum(
        _entry(entries, key)
        for key in blocks
        if key.startswith(("nb201_stem", "nb201_reduction", "nb201_head"))
    )
    return op_cost, np.array([add_cost]), fixed


# --- FBNet ---------------------------------------------------------------------------------
def fbnet_blocks(
    input_shape: tuple[int, int, int], num_classes: int, layout: str = "cifar"
) -> dict[str, Block]:
    """Stem, every (layer, block) pair that computes something, and the head."""
    from hwnas.spaces._fbnet import BLOCK_SPECS, LAYOUTS, block_key, is_identity, layer_specs
    from hwnas.spaces._fbnet_torch import Head, make_block, make_stem

    spec = LAYOUTS[layout]
    layers = layer_specs(input_shape, spec)
    blocks: dict[str, Block] = {}
    first = layers[0]
    stem_key = f"fbnet_stem_c{input_shape[0]}_o16_s{spec.stem_stride}_i{_size(*input_shape[1:])}"
    blocks[stem_key] = Block(
        stem_key, input_shape, lambda: make_stem(input_shape[0], spec.stem_stride)
    )
    for layer in layers:
        for block in BLOCK_SPECS:
            if is_identity(block, layer):
                continue
            key = block_key(block, layer)
            blocks.setdefault(
                key,
                Block(
                    key,
                    (layer.c_in, layer.height, layer.width),
                    lambda b=block, lay=layer: make_block(b, lay),
                ),
            )
    last = layers[-1]
    key = (
        f"fbnet_head_c{last.c_out}_o{spec.head_channels}"
        f"_i{_size(last.out_height, last.out_width)}_n{num_classes}"
    )
    blocks[key] = Block(
        key,
        (last.c_out, last.out_height, last.out_width),
        lambda: Head(last.c_out, spec.head_channels, num_classes),
    )
    del first
    return blocks


def fbnet_position_costs(
    entries: dict[str, float],
    input_shape: tuple[int, int, int],
    num_classes: int,
    layout: str = "cifar",
) -> tuple[np.ndarray, float]:
    """(cost[layer, block] for the 22 x 9 choices, fixed stem + head cost)."""
    from hwnas.spaces._fbnet import BLOCK_SPECS, LAYOUTS, block_key, is_identity, layer_specs

    layers = layer_specs(input_shape, LAYOUTS[layout])
    costs = np.zeros((len(layers), len(BLOCK_SPECS)))
    for layer in layers:
        for index, block in enumerate(BLOCK_SPECS):
            if not is_identity(block, layer):
                costs[layer.index, index] = _entry(entries, block_key(block, layer))
    blocks = fbnet_blocks(input_shape, num_classes, layout)
    fixed = sum(_entry(entries, k) for k in blocks if k.startswith(("fbnet_stem", "fbnet_head")))
    return costs, fixed


def space_blocks(
    space: str, input_shape: tuple[int, int, int], num_classes: int
) -> dict[str, Block]:
    """Every block of a space's networks at one input shape."""
    if space == "nb201":
        return nb201_blocks(input_shape, num_classes)
    if space == "fbnet":
        return fbnet_blocks(input_shape, num_classes)
    raise ConfigError(f"no latency-table blocks for space {space!r}; use nb201 or fbnet")


def _entry(entries: dict[str, float], key: str) -> float:
    """A block's latency with the empty-graph overhead removed (never below 0)."""
    if key not in entries:
        raise ConfigError(
            f"latency table has no block {key!r}: rebuild it for this input shape with "
            "`hwnas lut build`"
        )
    return max(float(entries[key]) - float(entries.get(OVERHEAD_KEY, 0.0)), 0.0)


def _overhead_block(input_shape: tuple[int, int, int]) -> Block:
    from torch import nn

    return Block(OVERHEAD_KEY, input_shape, lambda: nn.Identity())


class _AddTwo:
    """x + x as a module (built lazily so that torch is imported only when measuring)."""

    def __new__(cls) -> torch.nn.Module:  # type: ignore[misc]
        from torch import nn

        class AddTwo(nn.Module):
            def forward(self, x: torch.Tensor) -> torch.Tensor:
                return x + x

        return AddTwo()


class _Nb201Head:
    def __new__(cls, channels: int, num_classes: int) -> torch.nn.Module:  # type: ignore[misc]
        from torch import nn

        return nn.Sequential(
            nn.BatchNorm2d(channels),
            nn.ReLU(inplace=False),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(1),
            nn.Linear(channels, num_classes),
        )
