"""The evaluator: failed evaluations, cheap-first screening, the live profile source."""

from __future__ import annotations

import pytest

from hwnas.benchmarks import resolve_table_metric
from hwnas.core import ConfigError
from hwnas.runs import RunStore
from hwnas.search import Proposal, SearchConfig, SearchContext, create_executor, run_search


def _context(tmp_path, objectives: str, **options) -> SearchContext:
    config = SearchConfig(objectives, strategy="random", budget=10, seed=0, bands=2, **options)
    store = RunStore.create(tmp_path, {"search": config.to_dict()}, "random", 0)
    return SearchContext(config, store, create_executor("local"))


def test_missing_table_values_are_failed_evaluations(tmp_path, data_dir, nb201) -> None:
    table, metric = resolve_table_metric("pi5-litert")
    missing = next(a for a in nb201.enumerate() if a.string not in table.valid(metric).index)
    present = nb201.parse(table.valid(metric).index[0])
    context = _context(tmp_path, "accuracy=table:cifar100,latency=table:pi5-litert")
    failed, ok = context.evaluate([Proposal(missing, "test"), Proposal(present, "test")])
    assert failed.status == "failed" and failed.counted and not failed.confirmed
    assert "latency" in failed.error and "no valid" in failed.error
    assert ok.ok and ok.confirmed
    assert context.evaluations == 2 and context.failed == 1
    assert len(context.archive) == 1  # the failure never reaches the front
    stored = dict((c.architecture.string, e) for c, e in zip(
        context.store.candidates(), context.store.candidate_extras(), strict=True))
    assert stored[missing.string]["status"] == "failed"
    context.store.close()


def test_cheap_source_screens_and_the_last_confirms(tmp_path, data_dir) -> None:
    # the LiteRT column stands in for a cheap latency estimate, ONNX Runtime for the
    # expensive measurement: only candidates near the front get (and pay for) the latter
    objectives = "accuracy=table:cifar100,latency=table:pi5-litert>table:pi5-onnx"
    result = run_search(SearchConfig(objectives, strategy="random", budget=25, seed=4, bands=2,
                                     confirm_margin=0.0), tmp_path)
    assert result.evaluations == 25
    assert result.screened_only > 0  # some proposals were screened out cheaply
    onnx, onnx_metric = resolve_table_metric("pi5-onnx")
    litert, litert_metric = resolve_table_metric("pi5-litert")
    with RunStore.open(result.folder) as store:
        rows = list(zip(store.candidates(), store.candidate_extras(), strict=True))
    confirmed = [c for c, e in rows if e["confirmed"]]
    screened = [c for c, e in rows if not e["counted"]]
    assert len(confirmed) + sum(1 for _, e in rows if e["status"] == "failed") == 25
    for candidate in confirmed:
        assert candidate.value("latency") == onnx.value(candidate.architecture, onnx_metric)
    for candidate in screened:  # screened-out candidates keep the cheap value only
        assert candidate.value("latency") == litert.value(candidate.architecture, litert_metric)
    front = {f["arch"] for f in result.front}
    assert front <= {c.architecture.string for c in confirmed}


def test_profile_source_measures_live_on_this_host(tmp_path, data_dir, nb201) -> None:
    context = _context(tmp_path, "accuracy=table:cifar100,latency=profile:host-cpu",
                       source_options={"profile_max_seconds": 0.3, "profile_threads": 1,
                                       "profile_min_repeats": 5, "profile_warmup": 2})
    arch = nb201.parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|skip_connect~0|none~1|nor_conv_1x1~2|")
    (evaluation,) = context.evaluate([Proposal(arch, "test")])
    assert evaluation.ok
    latency = evaluation.candidate.objectives["latency"]
    assert latency.source == "measured" and latency.unit == "ms" and latency.value > 0
    measurements = context.store.measurements()
    assert len(measurements) == 1 and measurements[0].profiler == "onnxruntime"
    assert measurements[0].latency_p50_ms == latency.value
    context.store.close()


def test_bad_sources_fail_at_the_door(tmp_path, data_dir) -> None:
    with pytest.raises(ConfigError, match="proxy"):
        _context(tmp_path, "accuracy=proxy:astrology,latency=table:pi5-onnx")
    with pytest.raises(ConfigError, match="predictor"):
        _context(tmp_path / "b", "accuracy=table:cifar100,latency=predictor:")


def test_proxy_source_scores_an_untrained_network(tmp_path, data_dir, nb201) -> None:
    context = _context(tmp_path, "accuracy:max=proxy:naswot,latency=table:pi5-onnx")
    arch = nb201.parse("|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|skip_connect~0|none~1|nor_conv_3x3~2|")
    (evaluation,) = context.evaluate([Proposal(arch, "test")])
    accuracy = evaluation.candidate.objectives["accuracy"]
    assert evaluation.ok and accuracy.source == "proxy" and accuracy.unit == "score"
    assert not accuracy.minimize and accuracy.value > 0
    context.store.close()
