"""Shared test suites for plugins, shipped so a third-party plugin can run them (as
`optuna.testing` does): call the checks from your own tests on your space, profiler,
predictor, proxy, strategy or objective source. Each check raises AssertionError (or
pytest's failure) naming what broke; pytest is imported only by the checks that need it.

    import pytest
    from hwnas.testing import SPACE_CHECKS

    @pytest.mark.parametrize("check", SPACE_CHECKS, ids=lambda check: check.__name__)
    def test_my_space(check):
        check(MySpace())

The strategy and source suites evaluate real benchmark tables: they need the data folder
(`HWNAS_DATA`).
"""

from __future__ import annotations

from hwnas.testing._predictors import (
    check_bad_input_is_refused,
    check_feature_encoder,
    check_manifest_describes_the_model,
    check_other_format_version_is_refused,
    check_predictions_rank,
    check_save_load_in_a_fresh_process,
    check_strings_and_gene_arrays_agree,
    check_unfitted_predictor_refuses,
)
from hwnas.testing._profilers import (
    PROFILER_CHECKS,
    SUITE_SETTINGS,
    TINY_ARCH,
    check_latency_grows_with_batch_size,
    check_measures_a_tiny_network,
    check_profiler,
    runnable_device,
    tiny_source,
)
from hwnas.testing._proxies import (
    CHEAP_NB201_ARCH,
    PROXY_CHECKS,
    check_proxy_on_architecture,
    check_proxy_on_module,
    tiny_network,
)
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
from hwnas.testing._spaces import (
    SPACE_CHECKS,
    check_cost_matches_network,
    check_factors_are_consistent,
    check_features_are_finite_and_aligned,
    check_isomorphism_key_is_stable,
    check_latency_blocks,
    check_llm_hooks,
    check_malformed_strings_are_refused,
    check_onnx_export_matches_torch,
    check_operators_stay_in_the_space,
    check_parse_format_round_trip,
    check_space,
    check_torch_forward,
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
    "CHEAP_NB201_ARCH",
    "PROFILER_CHECKS",
    "PROXY_CHECKS",
    "SOURCE_CHECKS",
    "SPACE_CHECKS",
    "STRATEGY_CHECKS",
    "SUITE_SETTINGS",
    "TINY_ARCH",
    "SourceCase",
    "StrategyRun",
    "StrategyRuns",
    "check_bad_input_is_refused",
    "check_budget_is_respected",
    "check_cost_matches_network",
    "check_describe_is_json",
    "check_deterministic_for_a_seed",
    "check_errors_per_architecture_not_raised",
    "check_executed_is_an_architecture_of_the_space",
    "check_factors_are_consistent",
    "check_feature_encoder",
    "check_features_are_finite_and_aligned",
    "check_isomorphism_key_is_stable",
    "check_latency_blocks",
    "check_latency_grows_with_batch_size",
    "check_llm_hooks",
    "check_malformed_strings_are_refused",
    "check_manifest_describes_the_model",
    "check_measures_a_tiny_network",
    "check_no_duplicate_evaluations",
    "check_one_value_per_architecture_in_order",
    "check_onnx_export_matches_torch",
    "check_operators_stay_in_the_space",
    "check_other_format_version_is_refused",
    "check_parse_format_round_trip",
    "check_predictions_rank",
    "check_profiler",
    "check_proxy_on_architecture",
    "check_proxy_on_module",
    "check_quality_against_the_true_front",
    "check_save_load_in_a_fresh_process",
    "check_space",
    "check_strings_and_gene_arrays_agree",
    "check_torch_forward",
    "check_unfitted_predictor_refuses",
    "check_values_come_from_the_tables",
    "check_values_refuse_non_architectures",
    "malformed_architecture",
    "run_source_suite",
    "run_strategy",
    "run_strategy_suite",
    "runnable_device",
    "strategy_runs",
    "suite_config",
    "tiny_network",
    "tiny_source",
]
