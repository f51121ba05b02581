"""Labels as a budget: K labelled cells stored, counted and fitted on; resume repeats none."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import rankdata
from search_cli import run_cli

from hwnas.core import ConfigError
from hwnas.runs import RunStore
from hwnas.search import SearchConfig, resume_search, run_search
from hwnas.search._labels import parse_ensemble_target

OBJECTIVES = "accuracy=ensemble:table:cifar10:8,latency=table:hwnasbench-fpga"


@pytest.fixture(scope="module")
def options(tmp_path_factory) -> dict:
    # synflow alone keeps the test quick; one cache for the module, as runs share one
    return {"ensemble_proxies": "synflow",
            "proxy_cache": str(tmp_path_factory.mktemp("scores") / "scores.sqlite")}


def _config(options: dict, **changes) -> SearchConfig:
    values = {"objectives": OBJECTIVES, "strategy": "coevo", "budget": 20, "seed": 2,
              "bands": 2, "device": "fpga-zc706", "truth": "accuracy=table:cifar10",
              "source_options": options, "strategy_options": {"step": 3}}
    return SearchConfig(**(values | changes))


def test_labels_are_stored_counted_and_fitted_on(tmp_path: Path, options: dict) -> None:
    from hwnas.benchmarks import resolve_table_metric

    result = run_search(_config(options, strategy="random"), tmp_path)
    assert result.labels == 8 and result.summary()["labels"] == 8
    assert result.label_sources["accuracy"]["source"] == "table:cifar10"
    assert result.evaluations == 20  # the 8 labelled cells count against the budget
    with RunStore.open(result.folder) as store:
        events = store.events()
        candidates = store.candidates()
        extras = store.candidate_extras()
    labels = [e["data"] for e in events if e["kind"] == "labels"]
    assert len(labels) == 1 and len(labels[0]["labels"]) == 8
    table, metric = resolve_table_metric("cifar10")
    strings = [s for s, _ in labels[0]["labels"]]
    assert [v for _, v in labels[0]["labels"]] == [table.value(s, metric) for s in strings]
    # the labelled cells are the first evaluated candidates, valued by their label's rank
    assert [e["origin"] for e in extras[:8]] == ["label"] * 8
    assert [c.architecture.string for c in candidates[:8]] == strings
    ranks = rankdata([v for _, v in labels[0]["labels"]]) / 8
    assert [c.value("accuracy") for c in candidates[:8]] == pytest.approx(list(ranks))
    estimated = [c.value("accuracy") for c in candidates[8:]]
    assert all(0 <= v <= 1 for v in estimated) and len(set(estimated)) > 3
    # the ensemble was fitted on exactly those labels (its training hash is in the record)
    started = next(e["data"] for e in events if e["kind"] == "started")
    described = started["sources"][0][0]
    assert described["kind"] == "ensemble" and described["labels"]["count"] == 8
    assert described["labels"]["sha256"]
    assert result.proxy_seconds_per_arch is not None and result.proxy_seconds_per_arch > 0
    assert result.truth["spearman"]["accuracy"] is not None


def test_resume_repeats_no_label_and_no_evaluation(tmp_path: Path, options: dict) -> None:
    unbroken = run_search(_config(options), tmp_path / "unbroken")

    class Stop(Exception):
        pass

    def stop_midway(context) -> None:
        if context.evaluations >= 13:
            raise Stop

    with pytest.raises(Stop):
        run_search(_config(options), tmp_path / "broken", progress=stop_midway)
    folder = next((tmp_path / "broken").glob("*/run.sqlite")).parent
    with RunStore.open(folder) as store:
        before = [c.architecture.string for c in store.candidates()]
        assert store.truth() == {}  # the truth comes only after the search
    assert 13 <= len(before) < 20
    resumed = resume_search(folder.name, tmp_path / "broken")
    with RunStore.open(folder) as store:
        after = [c.architecture.string for c in store.candidates()]
        label_events = store.events("labels")
        truth = store.truth()
    assert after[: len(before)] == before and len(set(after)) == len(after)
    with RunStore.open(unbroken.folder) as store:
        assert after == [c.architecture.string for c in store.candidates()]
    assert len(label_events) == 1  # labelled once, read back on resume
    assert resumed.labels == 8 and resumed.evaluations == 20
    assert len(truth) == 2 * resumed.evaluations
    for key in ("truth", "estimated_front", "reranked_front"):
        assert getattr(resumed, key) == getattr(unbroken, key)


def test_label_settings_are_checked_at_the_door(options: dict) -> None:
    assert parse_ensemble_target("table:cifar10:50") [1] == 50
    spec, count = parse_ensemble_target("table:cifar10", 30)
    assert (str(spec), count) == ("table:cifar10", 30)
    with pytest.raises(ConfigError, match="nothing of --budget"):
        _config(options, budget=8)
    with pytest.raises(ConfigError, match="ensemble source"):
        SearchConfig(objectives="accuracy=table:cifar10,latency=table:hwnasbench-fpga", labels=20)
    with pytest.raises(ConfigError, match="where labels come from"):
        SearchConfig(objectives="accuracy=ensemble:cifar10,latency=table:hwnasbench-fpga")
    with pytest.raises(ConfigError, match="at least 5"):
        SearchConfig(objectives="accuracy=ensemble:table:cifar10:3,latency=table:pi5-onnx")
    config = SearchConfig(objectives="accuracy=ensemble:table:cifar10,latency=table:pi5-onnx",
                          labels=12, budget=40)
    assert config.labels == 12 and np.isfinite(config.budget)


def test_labels_from_the_command_line(tmp_path: Path) -> None:
    done = run_cli("search", "--objectives",
                   "accuracy=ensemble:table:cifar10,latency=table:hwnasbench-pixel3",
                   "--labels", "6", "--strategy", "random", "--budget", "10", "--seed", "4",
                   "--device", "pixel-3", "--truth", "accuracy=table:cifar10",
                   "--out", str(tmp_path), "--format", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["labels"] == 6 and result["evaluations"] == 10
    assert result["label_sources"]["accuracy"]["source"] == "table:cifar10"
    assert result["proxy_seconds_per_arch"] > 0
    assert set(result["truth"]["spearman"]) == {"accuracy", "latency"}
