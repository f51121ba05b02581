"""NAS-Bench-201 features, vectorised over gene arrays (N x 6) in numpy.

They describe the network as it executed in the benchmark campaigns: unpruned, so a
`none` edge ran as a multiply-by-zero plus an add and ops that feed nothing still ran.
Exporters merge identical ops on the same input (one ReLU per source node however many
convolutions read it, one multiply-by-zero per source node), so the count of distinct
(source node, op) pairs is a feature of its own. The pruned
(live) view is kept too, for runtimes whose converters fold `x * 0` away (LiteRT).
"""

from __future__ import annotations

import numpy as np

from hwnas.predictors._features import BYTES_PER_VALUE, FeatureEncoder, Roofline
from hwnas.spaces import nb201_network_cost as network_cost
from hwnas.spaces.nb201_grammar import (
    CELLS_PER_STAGE,
    EDGES,
    OPS,
    STAGE_CHANNELS,
    nb201_live_edges,
    stage_resolutions,
)

_NONE, _SKIP, _CONV1, _CONV3, _POOL = (
    OPS.index(op) for op in ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
)


def _effective_sources(genes: np.ndarray, pruned: bool) -> np.ndarray:
    """For each edge, the node whose tensor it really reads (N x 6 ints).

    Exporters drop Identity ops, so a node whose only input is a skip is the same tensor
    as that input, and identical ops reading it merge with those reading the original.
    Node 1 has one input; in the pruned view (zero terms folded away) node 2 also aliases
    when exactly one of its inputs is live and that input is a skip.
    """
    sources = np.tile(np.array([s for s, _ in EDGES]), (genes.shape[0], 1))
    rep1 = np.where(genes[:, 0] == _SKIP, 0, 1)
    rep2 = np.full(genes.shape[0], 2)
    if pruned:
        from_input = (genes[:, 1] == _SKIP) & (genes[:, 2] == _NONE)
        from_node1 = (genes[:, 2] == _SKIP) & (genes[:, 1] == _NONE)
        rep2 = np.where(from_input, 0, np.where(from_node1, rep1, 2))
    for edge, (source, _) in enumerate(EDGES):
        if source == 1:
            sources[:, edge] = rep1
        elif source == 2:
            sources[:, edge] = rep2
    return sources


def _sum_terms(genes: np.ndarray, live: np.ndarray) -> np.ndarray:
    """How nodes 2 and 3 sum their inputs once `x * 0` is folded (as LiteRT's converter
    does): zero terms, constant terms (a convolution of zeros is BatchNorm's shift), live
    terms; then the adds left, and whether nodes 1 and 2 are all-zero."""
    op = genes != _NONE
    nonzero = [np.ones(len(genes), dtype=bool), op[:, 0]]
    nonzero.append(op[:, 1] | (op[:, 2] & nonzero[1]))
    columns = []
    live_adds = np.zeros(len(genes))
    for target in (2, 3):
        inputs = [e for e, (_, t) in enumerate(EDGES) if t == target]
        zero = sum((~op[:, e]) | (~nonzero[EDGES[e][0]]) for e in inputs)
        constant = sum(
            op[:, e]
            & ~nonzero[EDGES[e][0]]
            & ((genes[:, e] == _CONV1) | (genes[:, e] == _CONV3))
            for e in inputs
        )
        columns += [zero, constant, len(inputs) - zero]
        live_adds += np.maximum(live[:, inputs].sum(axis=1) - 1, 0)
    columns += [live_adds, ~nonzero[1], ~nonzero[2]]
    # Dead ops come in two kinds that runtimes treat differently: reading an all-zero
    # node (LiteRT still runs a 3x3 convolution of zeros) or feeding nothing (removed).
    source_zero = np.stack([~nonzero[s] for s, _ in EDGES], axis=1)
    for index in (_SKIP, _CONV1, _CONV3, _POOL):
        columns.append(((genes == index) & source_zero).sum(axis=1))
    for index in (_SKIP, _CONV1, _CONV3, _POOL):
        columns.append(((genes == index) & ~source_zero & ~live).sum(axis=1))
    return np.stack(columns, axis=1).astype(float)


class Nb201Encoder(FeatureEncoder):
    """Graph-aware NAS-Bench-201 features of the executed (unpruned) network."""

    def __init__(
        self,
        input_shape: tuple[int, int, int] = (3, 32, 32),
        num_classes: int = 10,
        roofline: Roofline | None = None,
    ) -> None:
        self.name = "nb201-executed-v1"
        self.input_shape = tuple(input_shape)
        self.num_classes = num_classes
        self.roofline = roofline or Roofline()
        resolutions = stage_resolutions(self.input_shape)
        # Per-cell-position work summed over the 15 cells (5 per stage at 3 resolutions).
        self._stage_values = [
            h * w * c for (h, w), c in zip(resolutions, STAGE_CHANNELS, strict=True)
        ]
        self._cells = CELLS_PER_STAGE
        self._stage_geometry = list(zip(resolutions, STAGE_CHANNELS, strict=True))
        ops = OPS
        columns: list[str] = []
        for view in ("exec", "live"):
            columns += [f"{view}_e{e}_{op}" for e in range(6) for op in ops]
            columns += [f"{view}_src{s}_{op}" for s in range(3) for op in ops]
        columns += [f"count_{op}" for op in ops] + [f"distinct_{op}" for op in ops]
        columns += [f"live_{op}" for op in ops] + [f"dead_{op}" for op in ops]
        columns += [
            f"node{t}_{kind}_terms" for t in (2, 3) for kind in ("zero", "constant", "live")
        ]
        columns += ["live_adds", "node1_zero", "node2_zero"]
        columns += [f"zero_source_{op}" for op in ops[1:]] + [f"unreached_{op}" for op in ops[1:]]
        columns += ["macs_m", "live_macs_m", "params_m", "live_params_m"]
        self.roofline_columns = (
            "roofline_conv3x3_ms",
            "roofline_conv1x1_ms",
            "roofline_pool_ms",
            "roofline_relu_ms",
            "roofline_zero_ms",
            "roofline_add_ms",
            "roofline_fixed_ms",
        )
        columns += list(self.roofline_columns) + ["roofline_total_ms"]
        self.columns = tuple(columns)
        self.compact_columns = tuple(f"count_{op}" for op in ops) + tuple(
            f"distinct_{op}" for op in ops
        )
        self._unit_costs = self._per_op_costs()

    def _per_op_costs(self) -> dict[str, tuple[float, float, float]]:
        """(MACs, params, roofline ms) of one op summed over all 15 cells."""
        out: dict[str, list[float]] = {
            k: [0.0, 0.0, 0.0] for k in ("conv3", "conv1", "pool", "relu", "zero", "add")
        }
        for (height, width), channels in self._stage_geometry:
            values = height * width * channels
            for key, kernel in (("conv3", 3), ("conv1", 1)):
                macs = values * channels * kernel * kernel
                weights = channels * channels * kernel * kernel
                out[key][0] += self._cells * macs
                out[key][1] += self._cells * (weights + 2 * channels)
                out[key][2] += self._cells * float(
                    self.roofline.time_ms(2 * macs, BYTES_PER_VALUE * (2 * values + weights))
                )
            for key, flops_per_value, tensors in (
                ("pool", 9, 2),
                ("relu", 1, 2),
                ("zero", 1, 2),
                ("add", 1, 3),
            ):
                out[key][2] += self._cells * float(
                    self.roofline.time_ms(
                        flops_per_value * values, BYTES_PER_VALUE * tensors * values
                    )
                )
        return {k: (v[0], v[1], v[2]) for k, v in out.items()}

    def _fixed(self) -> tuple[float, float, float]:
        """(MACs, params, roofline ms) of stem, reductions, last BN and classifier."""
        cost = network_cost((0,) * 6, self.input_shape, self.num_classes)
        roofline = float(self.roofline.time_ms(2 * cost.macs, BYTES_PER_VALUE * (cost.params)))
        return float(cost.macs), float(cost.params), roofline

    def encode(self, genes: np.ndarray) -> np.ndarray:
        genes = np.asarray(genes, dtype=np.int64)
        n = genes.shape[0]
        rows = np.arange(n)
        live = nb201_live_edges(genes)
        pruned = np.where(live, genes, _NONE)
        blocks: list[np.ndarray] = []
        distinct = None
        for view in (genes, pruned):
            edge = np.zeros((n, 30))
            source = np.zeros((n, 15))
            effective = _effective_sources(view, pruned=view is pruned)
            for e in range(6):
                edge[rows, e * 5 + view[:, e]] = 1.0
                source[rows, effective[:, e] * 5 + view[:, e]] = 1.0
            blocks += [edge, source]
            if distinct is None:
                distinct = source.reshape(n, 3, 5).sum(axis=1)
        counts = np.stack([(genes == o).sum(axis=1) for o in range(5)], axis=1).astype(float)
        live_counts = np.stack([((genes == o) & live).sum(axis=1) for o in range(5)], axis=1)
        dead_counts = counts - live_counts
        blocks += [
            counts,
            distinct,
            live_counts.astype(float),
            dead_counts,
            _sum_terms(genes, live),
        ]
        unit = self._unit_costs
        fixed_macs, fixed_params, fixed_ms = self._fixed()
        conv3, conv1 = counts[:, _CONV3], counts[:, _CONV1]
        live3, live1 = live_counts[:, _CONV3], live_counts[:, _CONV1]
        macs = fixed_macs + conv3 * unit["conv3"][0] + conv1 * unit["conv1"][0]
        live_macs = fixed_macs + live3 * unit["conv3"][0] + live1 * unit["conv1"][0]
        params = fixed_params + conv3 * unit["conv3"][1] + conv1 * unit["conv1"][1]
        live_params = fixed_params + live3 * unit["conv3"][1] + live1 * unit["conv1"][1]
        roofline = self._roofline_from(counts, distinct, fixed_ms)
        blocks += [
            np.stack([macs / 1e6, live_macs / 1e6, params / 1e6, live_params / 1e6], axis=1),
            roofline,
            roofline.sum(axis=1, keepdims=True),
        ]
        return np.hstack(blocks)

    def _roofline_from(
        self, counts: np.ndarray, distinct: np.ndarray, fixed_ms: float
    ) -> np.ndarray:
        unit = self._unit_costs
        # One ReLU per source node feeding any convolution; one multiply per source of `none`.
        relu_sources = np.minimum(distinct[:, _CONV3] + distinct[:, _CONV1], 1.0)
        adds = np.full(counts.shape[0], 3.0)  # node 2 sums 2 inputs, node 3 sums 3
        return np.stack(
            [
                counts[:, _CONV3] * unit["conv3"][2],
                counts[:, _CONV1] * unit["conv1"][2],
                counts[:, _POOL] * unit["pool"][2],
                relu_sources * unit["relu"][2],
                distinct[:, _NONE] * unit["zero"][2],
                adds * unit["add"][2],
                np.full(counts.shape[0], fixed_ms),
            ],
            axis=1,
        )

    def roofline_terms(self, genes: np.ndarray) -> np.ndarray:
        genes = np.asarray(genes, dtype=np.int64)
        n = genes.shape[0]
        counts = np.stack([(genes == o).sum(axis=1) for o in range(5)], axis=1).astype(float)
        distinct = np.zeros((n, 3, 5))
        effective = _effective_sources(genes, pruned=False)
        for e in range(6):
            distinct[np.arange(n), effective[:, e], genes[:, e]] = 1.0
        return self._roofline_from(counts, distinct.sum(axis=1), self._fixed()[2])


def nb201_encoder(
    space: object, input_shape: tuple[int, int, int], num_classes: int, roofline: Roofline
) -> Nb201Encoder:
    """The graph encoder of the `nb201` space (registered in `_builtin`)."""
    return Nb201Encoder(input_shape, num_classes, roofline)
