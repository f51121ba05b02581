"""The shared strategy suite: what every search strategy must do, run on real tables.

Each strategy is run three times on NAS-Bench-201 with table objectives (the same seed
twice, another seed once); the checks then read the runs and their stores. A plugin
author runs all of it in one test::

    from hwnas.testing import run_strategy_suite

    def test_my_strategy_passes_the_suite(tmp_path):
        run_strategy_suite("my-search", tmp_path)

or builds the runs once (`strategy_runs`) and calls the `check_*` functions one test
each, as hwnas's own `tests/search/test_strategies.py` does. The tables come from the
benchmark data folder (`HWNAS_DATA` or `../shared/data`). A failed check raises
AssertionError with a message that names the strategy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from hwnas.core import Candidate
from hwnas.search import SearchConfig, SearchResult, run_search

SUITE_OBJECTIVES = "accuracy=table:cifar100,latency=table:pi5-onnx"
SUITE_BUDGET = 30
SUITE_BANDS = 3
SUITE_DEVICE = "raspberry-pi-5"


@dataclass(frozen=True)
class StrategyRun:
    """One finished run: its result and every stored candidate with its extras, in order."""

    result: SearchResult
    rows: tuple[tuple[Candidate, Mapping[str, Any]], ...]

    @property
    def strings(self) -> list[str]:
        return [c.architecture.string for c, _ in self.rows]


@dataclass(frozen=True)
class StrategyRuns:
    """The suite's three runs of one strategy: seed 1 twice (`first`, `again`), seed 2 once."""

    name: str
    config: SearchConfig
    first: StrategyRun
    again: StrategyRun
    other: StrategyRun


def suite_config(strategy: str, objectives: str = SUITE_OBJECTIVES, budget: int = SUITE_BUDGET,
                 bands: int = SUITE_BANDS, device: str = SUITE_DEVICE,
                 options: Mapping[str, Any] | None = None, seed: int = 1) -> SearchConfig:
    """The run the suite makes of `strategy` (table objectives on NAS-Bench-201 by default)."""
    return SearchConfig(objectives, strategy=strategy, budget=budget, seed=seed, bands=bands,
                        device=device, strategy_options=dict(options or {}))


def run_strategy(config: SearchConfig, folder: str | Path) -> StrategyRun:
    """Run `config` once under `folder` and read its store back."""
    from hwnas.runs import RunStore

    result = run_search(config, folder)
    with RunStore.open(result.folder) as store:
        rows = tuple(zip(store.candidates(), store.candidate_extras(), strict=True))
    return StrategyRun(result, rows)


def strategy_runs(strategy: str | SearchConfig, folder: str | Path) -> StrategyRuns:
    """The three runs the checks read: seed 1, seed 1 again, seed 2.

    `strategy` is a registered name (run with `suite_config`'s defaults) or a full config.
    """
    config = suite_config(strategy) if isinstance(strategy, str) else replace(strategy, seed=1)
    return StrategyRuns(
        config.strategy, config,
        first=run_strategy(config, folder),
        again=run_strategy(config, folder),
        other=run_strategy(replace(config, seed=2), folder),
    )


def check_budget_is_respected(runs: StrategyRuns) -> None:
    """Exactly the budget is evaluated, every row counted (tables: no cheap screenings)."""
    result, rows = runs.first.result, runs.first.rows
    budget = runs.config.budget
    assert result.evaluations == budget, \
        f"{runs.name}: {result.evaluations} evaluations for a budget of {budget}"
    assert len(rows) == budget, f"{runs.name}: {len(rows)} stored candidates, budget {budget}"
    assert result.status == "finished", f"{runs.name}: run ended {result.status!r}"


def check_no_duplicate_evaluations(runs: StrategyRuns) -> None:
    """No isomorphism class is evaluated twice."""
    from hwnas.spaces import create_space

    space = create_space(runs.config.space)
    keys = [space.isomorphism_key(c.architecture) for c, _ in runs.first.rows]
    assert len(set(keys)) == len(keys), \
        f"{runs.name}: {len(keys) - len(set(keys))} evaluations repeat an isomorphism class"


def check_deterministic_for_a_seed(runs: StrategyRuns) -> None:
    """The same seed proposes the same candidates in the same order; another seed does not."""
    assert runs.first.strings == runs.again.strings, \
        f"{runs.name}: two runs with seed 1 evaluated different candidates"
    assert runs.first.strings != runs.other.strings, \
        f"{runs.name}: seeds 1 and 2 evaluated the same candidates"


def check_values_come_from_the_tables(runs: StrategyRuns) -> None:
    """Every table objective holds the table's value; bands come from the partition."""
    from hwnas.benchmarks import resolve_table_metric
    from hwnas.pareto import parse_objectives

    result, rows = runs.first.result, runs.first.rows
    bands = runs.config.bands
    edges = result.bands["partition"]["edges"]
    assert len(edges) == bands - 1, f"{runs.name}: {len(edges)} band edges for {bands} bands"
    tables = {o.name: resolve_table_metric(o.final_source.target)
              for o in parse_objectives(runs.config.objectives)
              if o.final_source.kind == "table"}
    for candidate, extra in rows:
        for name, (table, metric) in tables.items():
            expected = table.value(candidate.architecture, metric)
            assert candidate.value(name) == expected, (
                f"{runs.name}: {name} of {candidate.architecture.string} is "
                f"{candidate.value(name)}, the table says {expected}")
            assert candidate.objectives[name].source == "table", \
                f"{runs.name}: {name} recorded as {candidate.objectives[name].source!r}"
        assert candidate.band in range(bands), f"{runs.name}: band {candidate.band} of {bands}"
        assert extra["status"] == "ok" and extra["counted"], \
            f"{runs.name}: {candidate.architecture.string} is {extra['status']}"


def check_quality_against_the_true_front(runs: StrategyRuns) -> None:
    """HV ratio, IGD and recall are reported against the true front; the front is listed."""
    result = runs.first.result
    assert result.hv_ratio is not None and 0 < result.hv_ratio <= 1.0, \
        f"{runs.name}: HV ratio {result.hv_ratio}"
    assert result.igd is not None and result.igd > 0, f"{runs.name}: IGD {result.igd}"
    assert result.recall is not None and 0 <= result.recall <= 1, \
        f"{runs.name}: recall {result.recall}"
    assert result.front_size == len(result.front) > 0, \
        f"{runs.name}: front size {result.front_size}, {len(result.front)} listed"


STRATEGY_CHECKS: tuple[Callable[[StrategyRuns], None], ...] = (
    check_budget_is_respected,
    check_no_duplicate_evaluations,
    check_deterministic_for_a_seed,
    check_values_come_from_the_tables,
    check_quality_against_the_true_front,
)


def run_strategy_suite(strategy: str | SearchConfig, folder: str | Path) -> StrategyRuns:
    """Run `strategy` three times under `folder` and apply every check in STRATEGY_CHECKS."""
    runs = strategy_runs(strategy, folder)
    for check in STRATEGY_CHECKS:
        check(runs)
    return runs


__all__ = [
    "STRATEGY_CHECKS", "SUITE_BANDS", "SUITE_BUDGET", "SUITE_DEVICE", "SUITE_OBJECTIVES",
    "StrategyRun", "StrategyRuns", "check_budget_is_respected",
    "check_deterministic_for_a_seed", "check_no_duplicate_evaluations",
    "check_quality_against_the_true_front", "check_values_come_from_the_tables",
    "run_strategy", "run_strategy_suite", "strategy_runs", "suite_config",
]
