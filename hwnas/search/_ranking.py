"""Pareto ordering of evaluated candidates (rank, then crowding), shared by `spark` and `seki`."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np

from hwnas.pareto import crowding_distance, non_dominated_ranks
from hwnas.search._context import SearchContext
from hwnas.search._records import Evaluation


def usable(evaluations: Sequence[Evaluation]) -> list[Evaluation]:
    """Evaluations with every objective from its final source (failed ones left out)."""
    return [e for e in evaluations if e.ok and e.confirmed and e.candidate.objectives]


def pareto_order(context: SearchContext, evaluations: Sequence[Evaluation]) -> list[Evaluation]:
    """`evaluations` best first: lower non-dominated rank, then larger crowding distance."""
    members = usable(evaluations)
    if len(members) < 2:
        return members
    points = np.array([context.vector(e.candidate) for e in members])
    ranks = non_dominated_ranks(points)
    order: list[int] = []
    for rank in range(int(ranks.max()) + 1):
        index = np.flatnonzero(ranks == rank)
        crowd = crowding_distance(points[index])
        order.extend(int(i) for i in index[np.argsort(-crowd, kind="stable")])
    return [members[i] for i in order]


def call_seed(context: SearchContext, *parts: object) -> int:
    """The seed of one LLM call: stable for the run seed and the call's place in the run."""
    text = ":".join(str(p) for p in (context.config.seed, *parts))
    return zlib.crc32(text.encode()) % (2**31)
