"""Pareto math on minimisation vectors, below every package that ranks candidates.

Objective specs (`parse_objectives`: what a run optimises and where each value comes
from), minimisation vectors (`minimisation_matrix`, `normalise`), dominance
(`non_dominated_mask`, ranks, crowding, `ParetoArchive`), front quality (hypervolume and
its improvement, IGD, `TrueFront`, `assess_front`) and budget splitting. Search, export
and report import it; it imports only `hwnas.core`. pymoo loads when HV or IGD is used.
"""

from __future__ import annotations

from hwnas.pareto._budget import split_evenly
from hwnas.pareto._front import (
    ParetoArchive,
    crowding_distance,
    dominance_gap,
    non_dominated_mask,
    non_dominated_ranks,
)
from hwnas.pareto._objectives import (
    SOURCE_KINDS,
    ObjectiveSpec,
    SourceSpec,
    format_objectives,
    parse_objectives,
)
from hwnas.pareto._quality import (
    REFERENCE_POINT,
    FrontQuality,
    TrueFront,
    assess_front,
    hvi_2d_many,
    hypervolume,
    hypervolume_improvement,
    hypervolume_improvement_2d,
    hypervolume_improvements,
    igd,
    own_range_hypervolume,
)
from hwnas.pareto._scale import minimisation_matrix, normalise, objective_signs

__all__ = [
    "REFERENCE_POINT",
    "SOURCE_KINDS",
    "FrontQuality",
    "ObjectiveSpec",
    "ParetoArchive",
    "SourceSpec",
    "TrueFront",
    "assess_front",
    "crowding_distance",
    "dominance_gap",
    "format_objectives",
    "hvi_2d_many",
    "hypervolume",
    "hypervolume_improvement",
    "hypervolume_improvement_2d",
    "hypervolume_improvements",
    "igd",
    "minimisation_matrix",
    "non_dominated_mask",
    "non_dominated_ranks",
    "normalise",
    "objective_signs",
    "own_range_hypervolume",
    "parse_objectives",
    "split_evenly",
]
