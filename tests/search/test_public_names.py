"""hwnas.search keeps its public names after the Pareto math moved to hwnas.pareto."""

from __future__ import annotations

import ast
import subprocess
import sys

import hwnas.pareto
import hwnas.search

# what hwnas.search exported before hwnas.pareto existed: the list must not shrink
EXPORTED = (
    "BAND_FEATURES", "EXECUTORS", "PRESETS", "REFERENCE_POINT", "SOURCES", "STRATEGIES",
    "BandFeature", "Evaluation", "Executor", "FrontQuality", "LocalExecutor",
    "ObjectiveSource", "ObjectiveSpec", "ParetoArchive", "Partition", "Proposal",
    "RayExecutor", "SearchConfig", "SearchContext", "SearchResult", "SourceContext",
    "SourceSpec", "SourceValue", "Strategy", "TrueFront", "build_partition",
    "compute_true_front", "create_executor", "create_source", "create_strategy",
    "crowding_distance", "format_objectives", "front_quality", "hypervolume",
    "hypervolume_improvement", "igd", "list_executors", "list_sources", "list_strategies",
    "non_dominated_mask", "non_dominated_ranks", "normalise", "parse_objectives",
    "preset_config", "reference_architectures", "resume_search", "run_search",
)


def test_every_name_search_exported_is_still_there() -> None:
    assert set(EXPORTED) <= set(hwnas.search.__all__)
    missing = [name for name in hwnas.search.__all__ if not hasattr(hwnas.search, name)]
    assert not missing


def test_the_pareto_names_are_hwnas_pareto_objects() -> None:
    for name in set(hwnas.search.__all__) & set(hwnas.pareto.__all__):
        assert getattr(hwnas.search, name) is getattr(hwnas.pareto, name), name


def test_importing_search_registers_the_builtin_strategies_and_stays_cheap() -> None:
    # registered by the import itself (no loader on first lookup); no heavy library loaded
    code = ("import sys\n"
            "import hwnas.search as s\n"
            "print(sorted(s.STRATEGIES._factories))\n"
            "heavy = ('pymoo', 'lightgbm', 'sklearn', 'torch', 'hwnas.llm', 'hwnas.predictors')\n"
            "print(sorted(m for m in sys.modules if m.startswith(heavy)))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    registered, heavy = done.stdout.splitlines()
    assert {"random", "evolution", "nsga2", "coevo"} <= set(ast.literal_eval(registered))
    assert heavy == "[]"
