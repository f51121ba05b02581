"""Every registered strategy through one shared suite (table objectives, real data)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hwnas.benchmarks import resolve_table_metric
from hwnas.runs import RunStore
from hwnas.search import SearchConfig, list_strategies, run_search

BUDGET = 30


def _run(objectives: str, folder: Path, strategy: str, seed: int) -> tuple[object, list]:
    result = run_search(SearchConfig(objectives, strategy=strategy, budget=BUDGET, seed=seed,
                                     bands=3, device="raspberry-pi-5"), folder)
    with RunStore.open(result.folder) as store:
        return result, list(zip(store.candidates(), store.candidate_extras(), strict=True))


@pytest.fixture(scope="module", params=list_strategies())
def runs(request, objectives: str, tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp(request.param)
    first = _run(objectives, folder, request.param, seed=1)
    again = _run(objectives, folder, request.param, seed=1)
    other = _run(objectives, folder, request.param, seed=2)
    return {"name": request.param, "first": first, "again": again, "other": other}


def test_the_suite_covers_the_four_strategies() -> None:
    assert {"random", "evolution", "nsga2", "coevo"} <= set(list_strategies())


def test_budget_is_respected(runs) -> None:
    result, rows = runs["first"]
    assert result.evaluations == BUDGET
    assert len(rows) == BUDGET  # table objectives: no cheap-only screenings
    assert result.status == "finished"


def test_no_duplicate_evaluations_up_to_isomorphism(runs, nb201) -> None:
    _, rows = runs["first"]
    keys = [nb201.isomorphism_key(c.architecture) for c, _ in rows]
    assert len(set(keys)) == len(keys)


def test_deterministic_for_a_seed(runs) -> None:
    first = [c.architecture.string for c, _ in runs["first"][1]]
    again = [c.architecture.string for c, _ in runs["again"][1]]
    other = [c.architecture.string for c, _ in runs["other"][1]]
    assert first == again
    assert first != other


def test_values_come_from_the_tables_and_bands_from_the_partition(runs) -> None:
    result, rows = runs["first"]
    accuracy, accuracy_metric = resolve_table_metric("cifar100")
    latency, latency_metric = resolve_table_metric("pi5-onnx")
    edges = result.bands["partition"]["edges"]
    assert len(edges) == 2
    for candidate, extra in rows:
        assert candidate.value("accuracy") == accuracy.value(candidate.architecture, accuracy_metric)
        assert candidate.value("latency") == latency.value(candidate.architecture, latency_metric)
        assert candidate.objectives["latency"].source == "table"
        assert candidate.band in (0, 1, 2)
        assert extra["status"] == "ok" and extra["counted"]


def test_quality_is_reported_against_the_true_front(runs) -> None:
    result, _ = runs["first"]
    assert 0 < result.hv_ratio <= 1.0
    assert result.igd > 0
    assert 0 <= result.recall <= 1
    assert result.front_size == len(result.front) > 0
