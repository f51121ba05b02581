"""Shared test suites for plugins, shipped so a third-party plugin can run them (as
`optuna.testing` does): call the checks from your own tests on your space, predictor or
proxy. Each check raises AssertionError (or pytest's failure) naming what broke; pytest is
imported only by the checks that expect an error.

    import pytest
    from hwnas.testing import SPACE_CHECKS

    @pytest.mark.parametrize("check", SPACE_CHECKS, ids=lambda check: check.__name__)
    def test_my_space(check):
        check(MySpace())
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
from hwnas.testing._proxies import (
    CHEAP_NB201_ARCH,
    PROXY_CHECKS,
    check_proxy_on_architecture,
    check_proxy_on_module,
    tiny_network,
)
from hwnas.testing._spaces import (
    SPACE_CHECKS,
    check_cost_matches_network,
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

__all__ = [
    "CHEAP_NB201_ARCH",
    "PROXY_CHECKS",
    "SPACE_CHECKS",
    "check_bad_input_is_refused",
    "check_cost_matches_network",
    "check_feature_encoder",
    "check_features_are_finite_and_aligned",
    "check_isomorphism_key_is_stable",
    "check_latency_blocks",
    "check_llm_hooks",
    "check_malformed_strings_are_refused",
    "check_manifest_describes_the_model",
    "check_onnx_export_matches_torch",
    "check_operators_stay_in_the_space",
    "check_other_format_version_is_refused",
    "check_parse_format_round_trip",
    "check_predictions_rank",
    "check_proxy_on_architecture",
    "check_proxy_on_module",
    "check_save_load_in_a_fresh_process",
    "check_space",
    "check_strings_and_gene_arrays_agree",
    "check_torch_forward",
    "check_unfitted_predictor_refuses",
    "tiny_network",
]
