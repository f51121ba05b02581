"""The exact front of an enumerable space whose objectives all come from tables.

Computed once per (space, objectives) in a process: every architecture of the space is
looked up in the tables of the objectives' final sources and the non-dominated ones kept.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hwnas.pareto import ObjectiveSpec, TrueFront, non_dominated_mask, parse_objectives
from hwnas.search._sources import SourceContext, TableSource, create_source

MAX_ENUMERATED = 2_000_000  # larger spaces have no true front here

_TRUE_FRONTS: dict[tuple[str, str], TrueFront | None] = {}


def true_front_cached(space_name: str, objectives_text: str) -> TrueFront | None:
    """`compute_true_front`, once per process for each space and objectives text."""
    key = (space_name, objectives_text)
    if key not in _TRUE_FRONTS:
        _TRUE_FRONTS[key] = compute_true_front(space_name, parse_objectives(objectives_text))
    return _TRUE_FRONTS[key]


def compute_true_front(space_name: str, objectives: Sequence[ObjectiveSpec]) -> TrueFront | None:
    """Evaluate every architecture of an enumerable space from its tables; keep the front."""
    from hwnas.spaces import create_space

    space = create_space(space_name)
    if space.size > MAX_ENUMERATED:
        return None
    strings = [a.string for a in space.enumerate()]
    columns = []
    for objective in objectives:
        source = create_source(objective.final_source.kind, objective.final_source.target,
                               SourceContext(space_name, objective.name))
        if not isinstance(source, TableSource):
            return None
        values = source.table.values(source.metric, strings)
        columns.append(values if objective.minimize else -values)
    points = np.column_stack(columns)
    valid = ~np.isnan(points).any(axis=1)
    points, kept = points[valid], [s for s, ok in zip(strings, valid, strict=True) if ok]
    mask = non_dominated_mask(points)
    front_strings = tuple(s for s, ok in zip(kept, mask, strict=True) if ok)
    return TrueFront(points[mask], front_strings,
                     tuple(space.isomorphism_key(s) for s in front_strings))
