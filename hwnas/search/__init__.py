"""Search: latency bands, strategies (random, evolution, nsga2, coevo, spark, seki), Pareto
quality, runs.

Entry points: `run_search(SearchConfig(...), out_dir)` and `resume_search(run, out_dir)`.
Importing this package is cheap; pymoo, LightGBM and the LLM layer load when used.
The Pareto math (fronts, HV/IGD, objective specs) lives in `hwnas.pareto`; the names
this package has always exported are re-exported here.
"""

from __future__ import annotations

from hwnas.pareto import (
    REFERENCE_POINT,
    FrontQuality,
    ObjectiveSpec,
    ParetoArchive,
    SourceSpec,
    TrueFront,
    crowding_distance,
    format_objectives,
    hypervolume,
    hypervolume_improvement,
    igd,
    non_dominated_mask,
    non_dominated_ranks,
    normalise,
    parse_objectives,
)
from hwnas.search import _builtin  # noqa: F401  (registers the built-in strategies)
from hwnas.search._coevo import NO_LLM_NOTE
from hwnas.search._context import SearchContext
from hwnas.search._executor import (
    EXECUTORS,
    Executor,
    LocalExecutor,
    RayExecutor,
    create_executor,
    list_executors,
)
from hwnas.search._harness import resume_search, run_search
from hwnas.search._partition import (
    BAND_FEATURES,
    BandFeature,
    Partition,
    build_partition,
    reference_architectures,
)
from hwnas.search._presets import PRESETS, preset_config
from hwnas.search._records import Evaluation, SearchConfig
from hwnas.search._result import SearchResult, front_quality
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
from hwnas.search._truefront import compute_true_front
from hwnas.search._truth import parse_truth, truth_objectives_text

__all__ = [
    "BAND_FEATURES",
    "EXECUTORS",
    "NO_LLM_NOTE",
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
    "parse_truth",
    "preset_config",
    "reference_architectures",
    "resume_search",
    "run_search",
    "truth_objectives_text",
]
