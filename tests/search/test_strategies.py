"""Every registered strategy through the shared suite (hwnas.testing; table objectives)."""

from __future__ import annotations

import pytest

from hwnas.search import list_strategies
from hwnas.testing import (
    check_budget_is_respected,
    check_deterministic_for_a_seed,
    check_no_duplicate_evaluations,
    check_quality_against_the_true_front,
    check_values_come_from_the_tables,
    strategy_runs,
    suite_config,
)


@pytest.fixture(scope="module", params=list_strategies())
def runs(request, objectives: str, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param)
    return strategy_runs(suite_config(request.param, objectives=objectives), folder)


def test_the_suite_covers_the_four_strategies() -> None:
    assert {"random", "evolution", "nsga2", "coevo"} <= set(list_strategies())


def test_budget_is_respected(runs) -> None:
    check_budget_is_respected(runs)


def test_no_duplicate_evaluations_up_to_isomorphism(runs) -> None:
    check_no_duplicate_evaluations(runs)


def test_deterministic_for_a_seed(runs) -> None:
    check_deterministic_for_a_seed(runs)


def test_values_come_from_the_tables_and_bands_from_the_partition(runs) -> None:
    check_values_come_from_the_tables(runs)


def test_quality_is_reported_against_the_true_front(runs) -> None:
    check_quality_against_the_true_front(runs)
