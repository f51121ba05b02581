"""Shared test suites for plugins, importable by third-party plugin authors (as `optuna.testing`).

Each suite is a set of plain check functions plus one `run_*_suite` call that applies them
all; hwnas's own tests run every registered plugin through the same checks. The suites
need the benchmark data folder where they evaluate real tables (`HWNAS_DATA`).
"""

from __future__ import annotations

from hwnas.testing._sources import (
    SOURCE_CHECKS,
    SourceCase,
    check_describe_is_json,
    check_errors_per_architecture_not_raised,
    check_executed_is_an_architecture_of_the_space,
    check_one_value_per_architecture_in_order,
    check_values_refuse_non_architectures,
    malformed_architecture,
    run_source_suite,
)
from hwnas.testing._strategies import (
    STRATEGY_CHECKS,
    StrategyRun,
    StrategyRuns,
    check_budget_is_respected,
    check_deterministic_for_a_seed,
    check_no_duplicate_evaluations,
    check_quality_against_the_true_front,
    check_values_come_from_the_tables,
    run_strategy,
    run_strategy_suite,
    strategy_runs,
    suite_config,
)

__all__ = [
    "SOURCE_CHECKS",
    "STRATEGY_CHECKS",
    "SourceCase",
    "StrategyRun",
    "StrategyRuns",
    "check_budget_is_respected",
    "check_describe_is_json",
    "check_deterministic_for_a_seed",
    "check_errors_per_architecture_not_raised",
    "check_executed_is_an_architecture_of_the_space",
    "check_no_duplicate_evaluations",
    "check_one_value_per_architecture_in_order",
    "check_quality_against_the_true_front",
    "check_values_come_from_the_tables",
    "check_values_refuse_non_architectures",
    "malformed_architecture",
    "run_source_suite",
    "run_strategy",
    "run_strategy_suite",
    "strategy_runs",
    "suite_config",
]
