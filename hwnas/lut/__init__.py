"""Latency lookup tables: measure each distinct block once, predict a network as a sum.

from hwnas.lut import build_table, validate_table, load_table
table = build_table("nb201", "host-cpu")            # measures ~20 blocks
check = validate_table(table, space.sample(10))     # sum of blocks vs end to end
"""

from __future__ import annotations

from hwnas.lut._blocks import OVERHEAD_KEY, Block, space_blocks
from hwnas.lut._build import TableValidation, build_table, validate_table, validated
from hwnas.lut._table import FORMAT_VERSION, Correction, LatencyTable, load_table

__all__ = [
    "FORMAT_VERSION",
    "OVERHEAD_KEY",
    "Block",
    "Correction",
    "LatencyTable",
    "TableValidation",
    "build_table",
    "load_table",
    "space_blocks",
    "validate_table",
    "validated",
]
