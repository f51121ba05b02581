"""Ground truth apart from the objective sources: never seen by the search, reported after."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from search_cli import run_cli

from hwnas.core import ConfigError
from hwnas.pareto import parse_objectives
from hwnas.runs import RunStore
from hwnas.search import SearchConfig, run_search
from hwnas.search._truth import parse_truth

ONNX = "accuracy=table:cifar100,latency=table:pi5-onnx"


@pytest.fixture(scope="module")
def reversed_latency(data_dir: Path, tmp_path_factory) -> Path:
    """A truth table that ranks Pi 5 ONNX latency backwards: had the search seen it, the
    fast end of its front would be the slow end of this one."""
    from hwnas.benchmarks import resolve_table_metric

    table, metric = resolve_table_metric("pi5-onnx")
    valid = table.valid(metric)
    path = tmp_path_factory.mktemp("truth") / "reversed.csv"
    pd.DataFrame({"arch": valid.index, "device": "truth-board",
                  "latency_ms": (valid.max() + valid.min() - valid).to_numpy()}).to_csv(
        path, index=False)
    return path


def _sequence(folder: str) -> list[str]:
    with RunStore.open(folder) as store:
        return [c.architecture.string for c in store.candidates()]


def test_truth_never_reaches_the_search(tmp_path: Path, reversed_latency: Path) -> None:
    truth = f"accuracy=table:cifar10,latency=table:{reversed_latency}:latency_ms"
    base = SearchConfig(objectives=ONNX, strategy="coevo", budget=30, seed=3, bands=3,
                        device="raspberry-pi-5")
    seen: list[tuple[object, dict]] = []

    def probe(context) -> None:  # what the strategy's context holds, mid-run
        seen.append((context.config.truth, context.store.truth()))

    plain = run_search(base, tmp_path / "plain")
    judged = run_search(replace(base, truth=truth), tmp_path / "judged", progress=probe)
    assert _sequence(judged.folder) == _sequence(plain.folder)
    assert seen and all(t is None and stored == {} for t, stored in seen)
    for key in ("hv", "hv_ratio", "igd", "recall", "front_size"):
        assert getattr(judged, key) == getattr(plain, key)
    # the truth was looked up afterwards, and it disagrees with the estimate: leaking it
    # would have changed the choices, as a run that optimises it shows
    assert judged.truth["spearman"]["latency"] < -0.99
    assert 0.5 < judged.truth["spearman"]["accuracy"] < 1.0
    steered = run_search(replace(base, objectives=f"accuracy=table:cifar100,"
                                 f"latency=table:{reversed_latency}:latency_ms"),
                         tmp_path / "steered")
    assert _sequence(steered.folder) != _sequence(plain.folder)
    # plain's default truth is its own tables: both fronts equal its own quality figures
    assert plain.truth["spearman"] == {"accuracy": 1.0, "latency": 1.0}
    for name in ("estimated_front", "reranked_front"):
        judged_front = getattr(plain, name)
        assert judged_front["hv_ratio"] == plain.hv_ratio
        assert judged_front["recall"] == plain.recall


def test_truth_keys_in_json_store_and_report(tmp_path: Path, data_dir: Path) -> None:
    out = tmp_path / "runs"
    done = run_cli("search", "--objectives",
                   "accuracy=table:cifar100,latency=table:hwnasbench-raspi4",
                   "--truth", "accuracy=table:cifar10", "--strategy", "random", "--budget", "24",
                   "--seed", "1", "--bands", "2", "--device", "raspberry-pi-4", "--out", str(out),
                   "--report", "--format", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    truth = result["truth"]
    assert truth["sources"] == {"accuracy": "table:cifar10", "latency": "table:hwnasbench-raspi4"}
    assert truth["defaults"] == ["latency"]
    assert 0.5 < truth["spearman"]["accuracy"] < 1.0 and truth["spearman"]["latency"] == 1.0
    assert result["hv_ratio"] is not None  # its own objectives are tables: a true front too
    for name in ("estimated_front", "reranked_front"):
        judged = result[name]
        assert 0 < judged["hv_ratio"] <= 1 and judged["igd"] >= 0 and 0 <= judged["recall"] <= 1
    members = result["reranked_front"]["front"]
    assert members and {"arch", "accuracy", "latency", "estimated"} <= set(members[0])
    folder = Path(result["folder"])
    with RunStore.open(folder) as store:
        finished = [e for e in store.events() if e["kind"] == "finished"][-1]["data"]
        stored = store.truth()
        final = [e for e in store.candidate_extras() if e["status"] == "ok"]
    for key in ("truth", "estimated_front", "reranked_front"):
        assert finished[key] == result[key]
    assert len(stored) == 2 * len(final)
    page = (folder / "report" / "report.html").read_text()
    assert "Estimates judged by the truth" in page and "table:cifar10" in page
    assert (folder / "report" / "pareto_truth.png").is_file()
    # a resumed (here: already finished) run reuses the stored truth, never looks it up again
    with sqlite3.connect(folder / "run.sqlite") as connection:
        before = connection.execute("SELECT arch_id, objective, created FROM truth").fetchall()
    again = run_cli("search", "--resume", folder.name, "--out", str(out), "--format", "json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["reranked_front"] == result["reranked_front"]
    with sqlite3.connect(folder / "run.sqlite") as connection:
        after = connection.execute("SELECT arch_id, objective, created FROM truth").fetchall()
    assert sorted(after) == sorted(before)


def test_truth_specs_are_checked_at_the_door() -> None:
    objectives = parse_objectives("accuracy=proxy:synflow,latency=table:pi5-onnx")
    specs = parse_truth("accuracy=table:cifar100", objectives)
    assert [(s.objective, str(s.source), s.default) for s in specs] == [
        ("accuracy", "table:cifar100", False), ("latency", "table:pi5-onnx", True)]
    assert parse_truth(None, objectives)[0].objective == "latency"
    for bad, message in (("speed=table:pi5-onnx", "not an objective"),
                         ("accuracy=oracle:x", "unknown source"),
                         ("accuracy", "NAME=SOURCE:TARGET"),
                         ("accuracy=table:a>table:b", "NAME=SOURCE:TARGET"),
                         ("accuracy=table:cifar10,accuracy=table:cifar100", "twice")):
        with pytest.raises(ConfigError, match=message):
            SearchConfig(objectives="accuracy=proxy:synflow,latency=table:pi5-onnx", truth=bad)
