"""The blocks a space's networks are made of, as the space declares them
(`SearchSpace.latency_blocks`), keyed by strings like `ir_k5_e6_c16_o24_s2_i32`, each with
a torch builder for measuring it alone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from hwnas.core import ConfigError
from hwnas.spaces import LatencyBlock, SearchSpace, create_space, list_spaces

if TYPE_CHECKING:
    import torch

OVERHEAD_KEY = "overhead"  # one run of a graph that does nothing: subtracted per block

Block = LatencyBlock  # the name latency tables have always used


def space_blocks(
    space: str | SearchSpace, input_shape: tuple[int, int, int], num_classes: int
) -> dict[str, Block]:
    """Every block of a space's networks at one input shape."""
    space_obj = create_space(space)
    blocks = space_obj.latency_blocks(tuple(input_shape), int(num_classes))  # type: ignore[arg-type]
    if blocks is None:
        raise ConfigError(
            f"no latency-table blocks for space {space_obj.name!r}; use "
            f"{' or '.join(spaces_with_blocks())}"
        )
    return blocks


def spaces_with_blocks() -> list[str]:
    """Registered spaces that declare latency-table blocks."""
    return [
        name for name in list_spaces()
        if type(create_space(name)).latency_blocks is not SearchSpace.latency_blocks
    ]


def block_latency_ms(entries: Mapping[str, float], key: str) -> float:
    """A block's latency with the empty-graph overhead removed (never below 0)."""
    if key not in entries:
        raise ConfigError(
            f"latency table has no block {key!r}: rebuild it for this input shape with "
            "`hwnas lut build`"
        )
    return max(float(entries[key]) - float(entries.get(OVERHEAD_KEY, 0.0)), 0.0)


def _overhead_block(input_shape: tuple[int, int, int]) -> Block:
    def build() -> torch.nn.Module:
        from torch import nn

        return nn.Identity()

    return Block(OVERHEAD_KEY, input_shape, build)
