"""Every registered objective-source kind through the shared suite (hwnas.testing)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from hwnas.core import Architecture
from hwnas.search import SourceContext, list_sources
from hwnas.testing import (
    SourceCase,
    check_describe_is_json,
    check_errors_per_architecture_not_raised,
    check_executed_is_an_architecture_of_the_space,
    check_one_value_per_architecture_in_order,
    check_values_refuse_non_architectures,
    malformed_architecture,
)

ARCHS = (
    "|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|skip_connect~0|none~1|nor_conv_3x3~2|",
    "|skip_connect~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|nor_conv_1x1~0|nor_conv_3x3~1|none~2|",
    "|avg_pool_3x3~0|+|none~0|nor_conv_1x1~1|+|nor_conv_3x3~0|skip_connect~1|skip_connect~2|",
)


def _archs() -> tuple[Architecture, ...]:
    return tuple(Architecture("nb201", s) for s in ARCHS)


def _table_case(folder: Path) -> SourceCase:
    from hwnas.benchmarks import resolve_table_metric
    from hwnas.spaces import create_space

    # the LiteRT column has impossible values the reader drops: a real missing value
    table, metric = resolve_table_metric("pi5-litert")
    valid = set(table.valid(metric).index)
    missing = next(a for a in create_space("nb201").enumerate() if a.string not in valid)
    return SourceCase("table", "pi5-litert", SourceContext("nb201", "latency"), _archs(),
                      failing=(missing, malformed_architecture("nb201")))


def _proxy_case(folder: Path) -> SourceCase:
    return SourceCase("proxy", "naswot", SourceContext("nb201", "accuracy"), _archs()[:2])


def _ensemble_case(folder: Path) -> SourceCase:
    # params and flops are exact and free: the suite checks the plumbing, not the proxies
    options = {"ensemble_proxies": "params,flops", "labels": 8,
               "proxy_cache": str(folder / "scores.sqlite")}
    return SourceCase("ensemble", "table:cifar10", SourceContext("nb201", "accuracy", None,
                                                                 options), _archs())


def _predictor_case(folder: Path) -> SourceCase:
    from hwnas.benchmarks import resolve_table_metric
    from hwnas.predictors import create_predictor

    table, metric = resolve_table_metric("pi5-onnx")
    column = table.valid(metric)
    archs = list(column.index[:120])
    predictor = create_predictor("gbdt", space="nb201", metric=metric, device="raspberry-pi-5",
                                 input_shape=(3, 32, 32), num_classes=100, n_estimators=20)
    saved = predictor.fit(archs, column.loc[archs].to_numpy(dtype=float)).save(folder / "gbdt")
    return SourceCase("predictor", str(saved), SourceContext("nb201", "latency"), _archs())


def _profile_case(folder: Path) -> SourceCase:
    options = {"profile_max_seconds": 0.3, "profile_threads": 1, "profile_min_repeats": 3,
               "profile_warmup": 1}
    return SourceCase("profile", "host-cpu", SourceContext("nb201", "latency", None, options),
                      _archs()[:2], deterministic=False)


def _train_case(folder: Path) -> SourceCase:
    recipe = folder / "tiny.toml"  # a few steps on a digits subset at 8x8: seconds per cell
    recipe.write_text("input_size = 8\ntrain_subset = 64\nbatch_size = 32\n")
    options = {"train_recipe": str(recipe), "train_cache": str(folder / "cache"),
               "train_threads": 1}
    return SourceCase("train", "digits:1", SourceContext("nb201", "accuracy", None, options),
                      _archs()[:2])


CASES: dict[str, Callable[[Path], SourceCase]] = {
    "table": _table_case,
    "proxy": _proxy_case,
    "ensemble": _ensemble_case,
    "predictor": _predictor_case,
    "profile": _profile_case,
    "train": _train_case,
}


def test_every_registered_source_kind_has_a_case() -> None:
    assert {"table", "proxy", "predictor", "profile"} <= set(list_sources())
    assert set(list_sources()) <= set(CASES), "add a case for the new source kind"


@pytest.fixture(scope="module", params=list_sources())
def built(request, data_dir, tmp_path_factory):
    if request.param not in CASES:
        pytest.fail(f"no suite case for source kind {request.param!r}; add one to CASES")
    case = CASES[request.param](tmp_path_factory.mktemp(request.param))
    return case.build(), case


def test_one_value_per_architecture_in_order(built) -> None:
    check_one_value_per_architecture_in_order(*built)


def test_errors_per_architecture_are_not_raised(built) -> None:
    check_errors_per_architecture_not_raised(*built)


def test_values_refuse_non_architectures(built) -> None:
    check_values_refuse_non_architectures(*built)


def test_describe_is_json(built) -> None:
    check_describe_is_json(*built)


def test_executed_is_an_architecture_of_the_space(built) -> None:
    check_executed_is_an_architecture_of_the_space(*built)
