"""Search: latency bands, strategies (random, evolution, nsga2, coevo), Pareto quality, runs.

Entry points: `run_search(SearchConfig(...), out_dir)` and `resume_search(run, out_dir)`.
Importing this package is cheap; pymoo, LightGBM and the LLM layer load when used.
"""

from __future__ import annotations

from hwnas.search._executor import (
    EXECUTORS,
    Executor,
    LocalExecutor,
    RayExecutor,
    create_executor,
    list_executors,
)
from hwnas.search._harness import (
    Evaluation,
    SearchConfig,
    SearchContext,
    SearchResult,
    compute_true_front,
    front_quality,
    resume_search,
    run_search,
)
from hwnas.search._objectives import (
    ObjectiveSpec,
    SourceSpec,
    format_objectives,
    parse_objectives,
)
from hwnas.search._pareto import (
    REFERENCE_POINT,
    FrontQuality,
    ParetoArchive,
    TrueFront,
    crowding_distance,
    hypervolume,
    hypervolume_improvement,
    igd,
    non_dominated_mask,
    non_dominated_ranks,
    normalise,
)
from hwnas.search._partition import (
    BAND_FEATURES,
    BandFeature,
    Partition,
    build_partition,
    reference_architectures,
)
from hwnas.search._presets import PRESETS, preset_config
from hwnas.search._sources import (
    SOURCES,
    ObjectiveSource,
    SourceContext,
    SourceValue,
    create_source,
    list_sources,
)
from hwnas.search._strategy import (
    STRATEGIES,
    Proposal,
    Strategy,
    create_strategy,
    list_strategies,
)
from hwnas.search._train_source import TrainSource

__all__ = [
    "BAND_FEATURES",
    "EXECUTORS",
    "PRESETS",
    "REFERENCE_POINT",
    "SOURCES",
    "STRATEGIES",
    "BandFeature",
    "Evaluation",
    "Executor",
    "FrontQuality",
    "LocalExecutor",
    "ObjectiveSource",
    "ObjectiveSpec",
    "ParetoArchive",
    "Partition",
    "Proposal",
    "RayExecutor",
    "SearchConfig",
    "SearchContext",
    "SearchResult",
    "SourceContext",
    "SourceSpec",
    "SourceValue",
    "Strategy",
    "TrainSource",
    "TrueFront",
    "build_partition",
    "compute_true_front",
    "create_executor",
    "create_source",
    "create_strategy",
    "crowding_distance",
    "format_objectives",
    "front_quality",
    "hypervolume",
    "hypervolume_improvement",
    "igd",
    "list_executors",
    "list_sources",
    "list_strategies",
    "non_dominated_mask",
    "non_dominated_ranks",
    "normalise",
    "parse_objectives",
    "preset_config",
    "reference_architectures",
    "resume_search",
    "run_search",
]
