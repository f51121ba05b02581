"""NAS-Bench-201 as latency-table blocks: the block list (keys like
`nb201_nor_conv_3x3_c16_i32`) and the vectorised sum of block latencies per cell.

torch is imported only when a block is built (to be measured); numpy only by the sum.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hwnas.spaces._base import LatencyBlock, size_label
from hwnas.spaces.nb201_grammar import (
    CELLS_PER_STAGE,
    OPS,
    STAGE_CHANNELS,
    nb201_live_edges,
    stage_resolutions,
)

if TYPE_CHECKING:
    import numpy as np
    import torch

# skip_connect costs nothing and has no block.
MEASURED_OPS = ("nor_conv_3x3", "nor_conv_1x1", "avg_pool_3x3", "none")
_FIXED_PREFIXES = ("nb201_stem", "nb201_reduction", "nb201_head")


def _torch_part(name: str, *args: Any) -> Callable[[], torch.nn.Module]:
    """A builder that imports the torch network module only when called."""

    def build() -> torch.nn.Module:
        from hwnas.spaces import _nb201_torch

        return getattr(_nb201_torch, name)(*args)  # type: ignore[no-any-return]

    return build


def _geometry(input_shape: tuple[int, int, int]) -> list[tuple[int, int, int]]:
    return [
        (c, h, w) for (h, w), c in zip(stage_resolutions(input_shape), STAGE_CHANNELS, strict=True)
    ]


def nb201_blocks(input_shape: tuple[int, int, int], num_classes: int) -> dict[str, LatencyBlock]:
    """Stem, each op at each stage (`nb201_nor_conv_3x3_c16_i32`), the sum's add, the two
    reductions and the head."""
    geometry = _geometry(input_shape)
    blocks: dict[str, LatencyBlock] = {}
    c0, h0, w0 = geometry[0]
    key = f"nb201_stem_c{input_shape[0]}_o{c0}_i{size_label(h0, w0)}"
    blocks[key] = LatencyBlock(key, input_shape, _torch_part("stem", input_shape[0], c0))
    for stage, (channels, height, width) in enumerate(geometry):
        shape = (channels, height, width)
        for op in MEASURED_OPS:
            key = f"nb201_{op}_c{channels}_i{size_label(height, width)}"
            blocks[key] = LatencyBlock(key, shape, _torch_part("make_op", op, channels))
        key = f"nb201_add_c{channels}_i{size_label(height, width)}"
        blocks[key] = LatencyBlock(key, shape, _torch_part("AddTwo"))
        if stage > 0:
            c_in, h_in, w_in = geometry[stage - 1]
            key = f"nb201_reduction_c{c_in}_o{channels}_i{size_label(h_in, w_in)}"
            blocks[key] = LatencyBlock(
                key, (c_in, h_in, w_in), _torch_part("ResidualReduction", c_in, channels)
            )
    c_last, h_last, w_last = geometry[-1]
    key = f"nb201_head_c{c_last}_i{size_label(h_last, w_last)}_n{num_classes}"
    blocks[key] = LatencyBlock(
        key, (c_last, h_last, w_last), _torch_part("head", c_last, num_classes)
    )
    return blocks


def _position_costs(
    block_ms: Callable[[str], float], input_shape: tuple[int, int, int], num_classes: int
) -> tuple[np.ndarray, np.ndarray, float]:
    """(op cost per edge summed over the 15 cells [5 ops], add cost per cell sum, fixed)."""
    import numpy as np

    blocks = nb201_blocks(input_shape, num_classes)
    op_cost = np.zeros(len(OPS))
    add_cost = 0.0
    for channels, height, width in _geometry(input_shape):
        size = size_label(height, width)
        for index, op in enumerate(OPS):
            if op != "skip_connect":
                op_cost[index] += CELLS_PER_STAGE * block_ms(f"nb201_{op}_c{channels}_i{size}")
        add_cost += CELLS_PER_STAGE * block_ms(f"nb201_add_c{channels}_i{size}")
    fixed = sum(block_ms(key) for key in blocks if key.startswith(_FIXED_PREFIXES))
    return op_cost, np.array([add_cost]), fixed


def nb201_latency_sum(
    genes: np.ndarray,
    block_ms: Callable[[str], float],
    input_shape: tuple[int, int, int],
    num_classes: int,
    prune: bool = False,
) -> np.ndarray:
    """Sum of block latencies per row of `genes` (N x 6).

    Unpruned (as the benchmark ran it): every op runs, `none` as a multiply, three adds per
    cell. Pruned: only live edges run, one add per extra live input of nodes 2 and 3, and a
    cell with no live edge is one multiply-by-zero.
    """
    import numpy as np

    op_cost, add_cost, fixed = _position_costs(block_ms, input_shape, num_classes)
    if not prune:
        return fixed + op_cost[genes].sum(axis=1) + 3 * add_cost[0]  # type: ignore[no-any-return]
    live = nb201_live_edges(genes)
    total = fixed + np.where(live, op_cost[genes], 0.0).sum(axis=1)
    adds = np.zeros(len(genes))
    for inputs in ((1, 2), (3, 4, 5)):
        adds += np.maximum(live[:, list(inputs)].sum(axis=1) - 1, 0)
    dead_cell = ~live.any(axis=1)  # the pruned cell is one multiply-by-zero
    return total + adds * add_cost[0] + dead_cell * op_cost[0]  # type: ignore[no-any-return]
