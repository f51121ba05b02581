"""NAS-Bench-201 cells: isomorphism classes, features, exact cost, and what the space
tells latency tables, predictors and LLM prompts (the grammar is in `nb201_grammar`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from hwnas.core import Architecture
from hwnas.spaces._base import LatencyBlock, NetworkCost, SearchSpace
from hwnas.spaces.nb201_grammar import (
    CELLS_PER_STAGE,
    CONV_KERNEL,
    EDGES,
    OPS,
    STAGE_CHANNELS,
    STRING_PATTERN,
    decode_nb201,
    encode_nb201,
    live_edges,
    stage_resolutions,
)

if TYPE_CHECKING:
    import numpy as np
    import torch

# Input-to-output paths of the cell, as edge indices (node 0 -> ... -> node 3).
PATHS: tuple[tuple[int, ...], ...] = ((3,), (0, 4), (1, 5), (0, 2, 5))

_ZERO = "#"  # a zero term in an isomorphism key
_INPUT = "0"  # the cell input; these two symbols fix the sort order NAS-Bench-201 used


@lru_cache(maxsize=65536)
def isomorphism_key_of_genes(genes: tuple[int, ...]) -> str:
    """The cell's output written as an expression of its input, in canonical form.

    This is NAS-Bench-201's own notion of a unique cell: `skip_connect` is the identity,
    `none` and any op fed by an all-zero node give a zero term, sums are unordered, and
    only the output expression is kept (edges that feed nothing drop out). Zero terms stay
    in a sum (`x + 0` differs from `x`), as the benchmark's networks ran them as a
    multiply-by-zero and an add; a sum is written as a flat string, so `(a+b)+c` and
    `a+(b+c)` meet. Over the 15,625 cells this gives 6,466 classes, the
    partition of the benchmark's `measured_as` column.
    """
    nodes = [_INPUT]
    for target in (1, 2, 3):
        terms: list[str] = []
        for (source, edge_target), gene in zip(EDGES, genes, strict=True):
            if edge_target != target:
                continue
            op, value = OPS[gene], nodes[source]
            if op == "none" or value == _ZERO:
                terms.append(_ZERO)
            elif op == "skip_connect":
                terms.append(value)
            else:
                terms.append(f"({value})@{op}")
        nodes.append("+".join(sorted(terms)))
    return nodes[3]


def network_cost(
    genes: Sequence[int], input_shape: tuple[int, int, int], num_classes: int,
    prune: bool = False,
) -> NetworkCost:
    """Exact parameters and MACs of the network `to_torch` builds (same `prune`)."""
    in_channels = input_shape[0]
    resolutions = stage_resolutions(input_shape)
    keep = live_edges(genes) if prune else (True,) * len(EDGES)
    params = in_channels * 16 * 9 + 2 * 16  # stem conv + BN
    macs = resolutions[0][0] * resolutions[0][1] * 16 * in_channels * 9
    for stage, channels in enumerate(STAGE_CHANNELS):
        height, width = resolutions[stage]
        if stage > 0:
            c_in = STAGE_CHANNELS[stage - 1]
            params += c_in * channels * 9 + 2 * channels  # conv_a
            params += channels * channels * 9 + 2 * channels  # conv_b
            params += c_in * channels  # downsample 1x1
            macs += height * width * channels * (c_in * 9 + channels * 9 + c_in)
        for gene, kept in zip(genes, keep, strict=True):
            kernel = CONV_KERNEL.get(OPS[gene])
            if kernel and kept:
                params += CELLS_PER_STAGE * (channels * channels * kernel * kernel + 2 * channels)
                macs += CELLS_PER_STAGE * height * width * channels * channels * kernel * kernel
    params += 2 * 64  # last BN
    params += 64 * num_classes + num_classes
    macs += 64 * num_classes
    return NetworkCost(params=params, macs=macs)


class NasBench201Space(SearchSpace):
    """NAS-Bench-201 / NATS-Bench topology space: 6 edges, 5 ops, 15,625 cells."""

    name = "nb201"
    gene_choices = tuple(OPS for _ in EDGES)
    default_input_shape = (3, 32, 32)
    default_num_classes = 10
    string_pattern = STRING_PATTERN
    ops = OPS
    edges = EDGES

    def _decode(self, string: str) -> tuple[int, ...]:
        return decode_nb201(string)

    def _encode(self, genes: Sequence[int]) -> str:
        return encode_nb201(genes)

    def _build_torch(
        self, genes: tuple[int, ...], input_shape: tuple[int, int, int], num_classes: int,
        **options: Any,
    ) -> torch.nn.Module:
        from hwnas.spaces._nb201_torch import NasBench201Network

        return NasBench201Network(genes, input_shape, num_classes, **options)

    def isomorphism_key(self, arch: Architecture | str) -> str:
        return isomorphism_key_of_genes(self.genes(arch))

    def canonical(self, arch: Architecture | str) -> Architecture:
        """The representative of `arch`'s isomorphism class: the member with the fewest
        ops (dead edges set to none), ties broken by the smallest gene vector."""
        return self.from_genes(_representatives()[self.isomorphism_key(arch)])

    def unique(self) -> list[Architecture]:
        """One representative per isomorphism class (6,466 for NAS-Bench-201)."""
        return [self.from_genes(g) for g in sorted(_representatives().values())]

    def live_edges(self, arch: Architecture | str) -> tuple[bool, ...]:
        return live_edges(self.genes(arch))

    def cost(
        self, arch: Architecture | str, input_shape: tuple[int, int, int] | None = None,
        num_classes: int | None = None, prune: bool = False,
    ) -> NetworkCost:
        """Exact parameters and MACs of the network `to_torch` builds."""
        return network_cost(
            self.genes(arch), tuple(input_shape or self.default_input_shape),  # type: ignore[arg-type]
            num_classes or self.default_num_classes, prune=prune,
        )

    def features(self, arch: Architecture | str) -> dict[str, float]:
        genes = self.genes(arch)
        live = live_edges(genes)
        out = super().features(arch)
        for op in OPS:
            out[f"count_{op}"] = float(sum(OPS[g] == op for g in genes))
            out[f"live_{op}"] = float(sum(OPS[g] == op and k for g, k in zip(genes, live)))
        cost = network_cost(genes, self.default_input_shape, self.default_num_classes)
        out["params_m"] = cost.params_m
        out["mflops"] = cost.mflops
        return out

    def describe(self) -> str:
        example = self.sample(1, seed=0)[0].string
        return (
            "NAS-Bench-201 cell: 4 nodes; node 0 is the cell input, node 3 its output. Each of "
            "the 6 edges j<-i carries one operation from: " + ", ".join(OPS) + ". The string "
            "lists node 1 (edge 1<-0), then node 2 (edges 2<-0, 2<-1), then node 3 (edges 3<-0, "
            "3<-1, 3<-2), as |op~i| tokens with nodes joined by +. Example: " + example + ". "
            "none removes an edge; a cell whose output is cut off from the input is useless."
        )

    def factors(self) -> dict[str, str]:
        return {
            "operator": "the operation on an edge that is not none: skip_connect, "
                        "nor_conv_1x1, nor_conv_3x3 or avg_pool_3x3 (the wiring stays)",
            "action": "the wiring: which edges are none, and so which input-to-output paths "
                      "exist (switching an edge between none and an operation)",
        }

    def gene_change_factors(self, position: int, old: int, new: int) -> frozenset[str]:
        """`none` <-> an operation is ACTION (wiring); one operation -> another is OPERATOR."""
        if (OPS[old] == "none") != (OPS[new] == "none"):
            return frozenset({"action"})
        return frozenset({"operator"})

    def gene_names(self) -> tuple[str, ...]:
        return tuple(f"edge {target}<-{source}" for source, target in EDGES)

    def positions_named(self, text: str) -> frozenset[int]:
        """Edges written `j<-i` (`edge 3<-1`, `3 <- 1`)."""
        found = set()
        for target, source in re.findall(r"([0-3])\s*<-\s*([0-3])", text):
            edge = (int(source), int(target))
            if edge in EDGES:
                found.add(EDGES.index(edge))
        return frozenset(found)

    def infeasibility(self, arch: Architecture | str) -> str | None:
        """A cell whose output does not depend on its input (no path of non-none edges
        from node 0 to node 3) cannot work."""
        if _INPUT not in isomorphism_key_of_genes(self.genes(arch)):
            return "the cell output does not depend on its input: no path of non-none edges " \
                   "from node 0 to node 3"
        return None

    def graph_features(self, arch: Architecture | str) -> tuple[float, ...]:
        """Per input-to-output path: alive, and its 3x3 / 1x1 / pool counts; then the
        executed graph's zero terms, adds, key length and per-op counts (NAS-Bench-201
        networks ran a `none` feeding a live node as a multiply-by-zero and an add, so
        latency follows the isomorphism key's terms)."""
        genes = self.genes(arch)
        live = live_edges(genes)
        row: list[float] = []
        for path in PATHS:
            names = [OPS[genes[e]] for e in path]
            alive = float(all(live[e] for e in path))
            row.append(alive)
            row.append(alive * sum(n == "nor_conv_3x3" for n in names))
            row.append(alive * sum(n == "nor_conv_1x1" for n in names))
            row.append(alive * sum(n == "avg_pool_3x3" for n in names))
        key = isomorphism_key_of_genes(genes)
        row += [float(key.count("#")), float(key.count("+")), float(len(key))]
        row += [float(key.count(op)) for op in OPS[2:]]
        return tuple(row)

    def latency_blocks(
        self, input_shape: tuple[int, int, int], num_classes: int
    ) -> dict[str, LatencyBlock]:
        from hwnas.spaces._nb201_blocks import nb201_blocks

        return nb201_blocks(input_shape, num_classes)

    def latency_sum(
        self,
        genes: np.ndarray,
        block_ms: Callable[[str], float],
        input_shape: tuple[int, int, int],
        num_classes: int,
        prune: bool = False,
    ) -> np.ndarray:
        from hwnas.spaces._nb201_blocks import nb201_latency_sum

        return nb201_latency_sum(genes, block_ms, input_shape, num_classes, prune)


@lru_cache(maxsize=1)
def _representatives() -> dict[str, tuple[int, ...]]:
    import itertools

    best: dict[str, tuple[int, ...]] = {}
    for genes in itertools.product(range(len(OPS)), repeat=len(EDGES)):
        key = isomorphism_key_of_genes(genes)
        rank = (sum(g != 0 for g in genes), genes)
        current = best.get(key)
        if current is None or rank < (sum(g != 0 for g in current), current):
            best[key] = genes
    return best
