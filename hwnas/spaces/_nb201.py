"""NAS-Bench-201 cells: grammar, isomorphism classes, features and exact cost."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from hwnas.core import Architecture, InvalidArchitectureError
from hwnas.spaces._base import SearchSpace

if TYPE_CHECKING:
    import torch

OPS: tuple[str, ...] = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
# Edges in string order: node 1 <- 0; node 2 <- 0, 1; node 3 <- 0, 1, 2.
EDGES: tuple[tuple[int, int], ...] = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
CONV_KERNEL: dict[str, int] = {"nor_conv_1x1": 1, "nor_conv_3x3": 3}
STAGE_CHANNELS: tuple[int, int, int] = (16, 32, 64)
CELLS_PER_STAGE = 5
EXAMPLE = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
_ZERO = "#"  # a zero term in an isomorphism key
_INPUT = "0"  # the cell input; these two symbols fix the sort order NAS-Bench-201 used


def _fail(string: str, position: int, message: str) -> InvalidArchitectureError:
    return InvalidArchitectureError(
        f"malformed nb201 architecture at character {position} (0-based): {message} "
        f"(expected like {EXAMPLE})"
    )


def decode_nb201(string: str) -> tuple[int, ...]:
    """Genes (op index per edge, in EDGES order) of a NAS-Bench-201 string."""
    if not string:
        raise _fail(string, 0, "empty string")
    groups = string.split("+")
    if len(groups) != 3:
        raise _fail(string, 0, f"{len(groups)} nodes separated by '+', need 3")
    genes: list[int] = []
    offset = 0
    for node, group in enumerate(groups, start=1):
        if len(group) < 2 or not group.startswith("|") or not group.endswith("|"):
            raise _fail(string, offset, f"node {node} {group!r} must be written |op~i|...|")
        tokens = group[1:-1].split("|")
        if len(tokens) != node:
            raise _fail(string, offset, f"node {node} has {len(tokens)} inputs, needs {node}")
        token_offset = offset + 1
        for expected_input, token in enumerate(tokens):
            op, sep, source = token.partition("~")
            if not sep:
                raise _fail(string, token_offset, f"token {token!r} lacks '~input'")
            if op not in OPS:
                raise _fail(
                    string, token_offset, f"unknown op {op!r} in token {token!r}; ops: {', '.join(OPS)}"
                )
            if source != str(expected_input):
                raise _fail(
                    string, token_offset + len(op) + 1,
                    f"token {token!r} reads node {source!r}, must read node {expected_input}",
                )
            genes.append(OPS.index(op))
            token_offset += len(token) + 1
        offset += len(group) + 1
    return tuple(genes)


def encode_nb201(genes: Sequence[int]) -> str:
    """The standard NAS-Bench-201 string of a gene vector."""
    ops = [OPS[g] for g in genes]
    node1 = f"|{ops[0]}~0|"
    node2 = f"|{ops[1]}~0|{ops[2]}~1|"
    node3 = f"|{ops[3]}~0|{ops[4]}~1|{ops[5]}~2|"
    return f"{node1}+{node2}+{node3}"


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


def live_edges(genes: Sequence[int]) -> tuple[bool, ...]:
    """For each edge, whether dropping it would change the cell's output.

    A node fed only by zeros is zero; skip and pooling of zero are zero, but a
    ReLU-Conv-BN of zero is BatchNorm's shift, a per-channel constant, so a conv edge
    carries a value even from a zero node. An edge is live when it carries a value and
    its target reaches the output. Pruning exactly the other edges keeps the function.
    """
    ops = [OPS[g] for g in genes]
    carries = [False] * len(EDGES)
    nonzero = [True, False, False, False]
    for index, ((source, target), op) in enumerate(zip(EDGES, ops, strict=True)):
        carries[index] = op != "none" and (nonzero[source] or op in CONV_KERNEL)
        nonzero[target] = nonzero[target] or carries[index]
    reaches = [False, False, False, True]
    for index in reversed(range(len(EDGES))):
        source, target = EDGES[index]
        if carries[index] and reaches[target]:
            reaches[source] = True
    return tuple(carries[i] and reaches[t] for i, (_, t) in enumerate(EDGES))


@dataclass(frozen=True)
class NetworkCost:
    """Exact size and work of a network at batch 1."""

    params: int  # trainable parameters
    macs: int  # multiply-accumulates of convolutions and the classifier

    @property
    def flops(self) -> int:
        """Floating-point operations of convolutions and the classifier (2 per MAC)."""
        return 2 * self.macs

    @property
    def params_m(self) -> float:
        return self.params / 1e6

    @property
    def mflops(self) -> float:
        return self.flops / 1e6


def stage_resolutions(input_shape: tuple[int, int, int]) -> tuple[tuple[int, int], ...]:
    """Feature-map (height, width) of the three stages; sizes must be divisible by 4."""
    _, height, width = input_shape
    if height % 4 or width % 4:
        raise InvalidArchitectureError(
            f"nb201 networks halve the input twice: height and width must be divisible by 4, "
            f"got {height}x{width} (zero-pad the input, e.g. 85x85 -> 88x88)"
        )
    return ((height, width), (height // 2, width // 2), (height // 4, width // 4))


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
